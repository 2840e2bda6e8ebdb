package org.poolwarden.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.poolwarden.config.PoolwardenConfig.Mode;

/**
 * The agent at a glance.
 *
 * @param apps               configured apps
 * @param runningApps        apps with at least one process on this host
 * @param processes          processes seen in the last scan
 * @param unassignedProcesses processes no app claims
 * @param counters           the agent's loop and error counters, by name ({@code [a-z][a-z0-9_]*}), e.g.
 *                           {@code slow_ticks}, {@code reconcile_errors}; exported as {@code poolwarden_NAME_total}
 * @param alarms             conditions an operator should see, such as insufficient resources
 */
public record Status(String host, String version, Mode mode, Instant started, long uptimeSeconds, int apps,
                     int runningApps, int processes, int unassignedProcesses, Map<String, Long> counters,
                     List<Alarm> alarms) {
    public Status {
        counters = java.util.Collections.unmodifiableMap(new TreeMap<>(counters));
        alarms = List.copyOf(alarms);
    }
}
