package org.poolwarden.detect;

import java.util.List;
import java.util.Map;

/**
 * What runs here, as apps → instances → pids. On one host every app has at most one instance (the part of the app on
 * this host); the pool view joins instances from all hosts.
 *
 * @param apps       only apps with at least one process, in config order
 * @param unassigned processes that no app claims
 */
public record Inventory(String host, Map<String, Instance> apps, int unassigned, int total) {
    public Inventory {
        apps = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(apps));
    }

    /** @param pids ascending */
    public record Instance(String app, String host, List<Integer> pids) {
        public Instance {
            pids = List.copyOf(pids);
        }
    }

    public List<Integer> pids(String app) {
        Instance i = apps.get(app);
        return i == null ? List.of() : i.pids();
    }
}
