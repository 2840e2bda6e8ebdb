package org.poolwarden.cgroup;

/**
 * Pure conversions between a policy weight and the kernel's knobs. A policy weight is on the cgroup v2 scale:
 * an integer 1..10000 where 100 is one ordinary process's share; only the ratio between siblings matters. It is
 * written unchanged as {@code cpu.weight} on v2 and converted with a {@link WeightMapping} to {@code cpu.shares} on v1.
 */
public final class CpuWeights {
    public static final long WEIGHT_MIN = 1;
    public static final long WEIGHT_MAX = 10_000;
    /** The kernel's default cpu.weight: what an unconfigured group gets. */
    public static final long WEIGHT_DEFAULT = 100;
    /** MIN_SHARES in the kernel (values below are raised to 2). */
    public static final long SHARES_MIN = 2;
    /** MAX_SHARES in the kernel: 1 &lt;&lt; 18. */
    public static final long SHARES_MAX = 262_144;
    /** The kernel's default cpu.shares. */
    public static final long SHARES_DEFAULT = 1024;

    private CpuWeights() {
    }

    /**
     * A policy weight as both kernel values, with the mapping that produced the shares.
     *
     * @param policyWeight the requested weight, 1..10000
     * @param cpuWeight    the cgroup v2 cpu.weight (equal to the policy weight)
     * @param cpuShares    the cgroup v1 cpu.shares for it under {@code mapping}
     * @param mapping      which shares↔weight mapping produced {@code cpuShares}
     */
    public record Converted(long policyWeight, long cpuWeight, long cpuShares, WeightMapping mapping) {
    }

    /** Converts a policy weight; a weight outside 1..10000 is refused with a one-line error naming it. */
    public static Converted convert(long policyWeight, WeightMapping mapping) {
        checkPolicyWeight(policyWeight);
        return new Converted(policyWeight, policyWeight, mapping.weightToShares(policyWeight), mapping);
    }

    /** Reads back a cpu.shares value found in the kernel as a policy weight, recording the mapping used. */
    public static Converted fromShares(long shares, WeightMapping mapping) {
        long w = mapping.sharesToWeight(shares);
        return new Converted(w, w, WeightMapping.clamp(shares, SHARES_MIN, SHARES_MAX), mapping);
    }

    public static void checkPolicyWeight(long policyWeight) {
        if (policyWeight < WEIGHT_MIN || policyWeight > WEIGHT_MAX) {
            throw new IllegalArgumentException("cpu weight " + policyWeight + " is out of range " + WEIGHT_MIN + ".."
                    + WEIGHT_MAX + " (100 is one ordinary process's share)");
        }
    }
}
