package org.poolwarden.config;

import java.util.List;

/**
 * An application: the processes and flows its rules recognise, and its policy (null: monitored only).
 * A process that several apps' rules match belongs to the first app in config order.
 *
 * @param includeChildren default for this app's process rules that do not say
 */
public record App(String name, boolean includeChildren, List<ProcessRule> processRules, List<FlowRule> flowRules,
                  Policy policy) {
    public App {
        processRules = List.copyOf(processRules);
        flowRules = List.copyOf(flowRules);
    }

    /** Off by default: adopting every child (shells, cron jobs spawned by a daemon) surprises more than it helps. */
    public static final boolean DEFAULT_INCLUDE_CHILDREN = false;
}
