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

    /**
     * The seed's "headroom": what the app may burst to beyond its guarantee when others leave CPU idle, in basis
     * points of the host: up to its cap (or the whole host) minus what is guaranteed.
     */
    public long headroomBasisPoints(int cpus) {
        long ceiling = quotaMicros == UNLIMITED ? PolicyCalculator.HOST_BASIS_POINTS
                : Math.min(PolicyCalculator.HOST_BASIS_POINTS, quotaMicros * PolicyCalculator.HOST_BASIS_POINTS
                / (periodMicros * cpus));
        return Math.max(0, ceiling - guaranteedBasisPoints);
    }
}
