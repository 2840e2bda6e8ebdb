package org.poolwarden.policy;

/**
 * Concrete CPU settings for one app on this host.
 *
 * @param weight            cgroup v2 cpu.weight, 1..10000
 * @param guaranteedBasisPoints the share of the host guaranteed under contention, in 1/100 of a percent (0: none)
 * @param quotaMicros       cpu.max quota per period, or {@link #UNLIMITED}
 * @param periodMicros      cpu.max period
 */
public record CpuAllocation(String app, int weight, long guaranteedBasisPoints, long quotaMicros, long periodMicros) {
    public static final long UNLIMITED = -1;
}
