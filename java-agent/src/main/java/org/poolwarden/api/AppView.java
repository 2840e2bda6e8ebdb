package org.poolwarden.api;

import java.util.List;

/**
 * One app as the agent sees it now.
 *
 * @param managed   true when the app has a policy (otherwise it is only monitored)
 * @param priority  the policy's priority; null when unmanaged
 * @param instances the app's instances; on one host at most one (the pool view joins hosts)
 */
public record AppView(String name, boolean managed, Integer priority, List<Instance> instances) {
    public AppView {
        instances = List.copyOf(instances);
    }

    /** @param pids ascending */
    public record Instance(String host, List<Integer> pids, Usage usage) {
        public Instance {
            pids = List.copyOf(pids);
        }
    }

    public int processes() {
        return instances.stream().mapToInt(i -> i.pids().size()).sum();
    }
}
