package org.poolwarden.policy;

import java.util.Map;

/**
 * What this host has to share out.
 *
 * @param cpus                   online CPUs (cpu.max quotas scale with it)
 * @param pipeCapacityBitsPerSecond this host's current capacity per pipe; a pipe missing here uses its configured
 *                               capacity (the pool allocator overrides it once pipes are shared between hosts)
 */
public record HostResources(int cpus, Map<String, Long> pipeCapacityBitsPerSecond) {
    public HostResources {
        if (cpus < 1) throw new IllegalArgumentException("cpus must be at least 1, was " + cpus);
        pipeCapacityBitsPerSecond = Map.copyOf(pipeCapacityBitsPerSecond);
    }

    public static HostResources ofThisHost() {
        return new HostResources(Runtime.getRuntime().availableProcessors(), Map.of());
    }
}
