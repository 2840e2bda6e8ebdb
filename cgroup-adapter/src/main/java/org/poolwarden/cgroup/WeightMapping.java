package org.poolwarden.cgroup;

/**
 * How a cgroup v1 {@code cpu.shares} value (2..262144, default 1024) relates to a cgroup v2 {@code cpu.weight}
 * (1..10000, default 100). Two mappings are in use in the field and software that reads values back breaks when it
 * assumes the wrong one, so every converted value records the mapping that produced it.
 *
 * <p>Both directions clamp to the kernel's ranges and never return 0. Both are monotone (non-decreasing).
 */
public enum WeightMapping {
    /**
     * systemd's: {@code shares = weight × 1024 / 100} and {@code weight = shares × 100 / 1024}, integer division,
     * clamped. Proportional, so a 3:1 weight ratio stays 3:1 in shares. The default.
     */
    LINEAR {
        @Override
        public long sharesToWeight(long shares) {
            long s = clamp(shares, CpuWeights.SHARES_MIN, CpuWeights.SHARES_MAX);
            return clamp(s * CpuWeights.WEIGHT_DEFAULT / CpuWeights.SHARES_DEFAULT, CpuWeights.WEIGHT_MIN,
                    CpuWeights.WEIGHT_MAX);
        }

        @Override
        public long weightToShares(long weight) {
            long w = clamp(weight, CpuWeights.WEIGHT_MIN, CpuWeights.WEIGHT_MAX);
            return clamp(w * CpuWeights.SHARES_DEFAULT / CpuWeights.WEIGHT_DEFAULT, CpuWeights.SHARES_MIN,
                    CpuWeights.SHARES_MAX);
        }
    },
    /**
     * Kubernetes KEP-5246, as in runc ≥ 1.3.2 (opencontainers/cgroups {@code ConvertCPUSharesToCgroupV2Value}) and
     * crun ≥ 1.23: {@code weight = ⌈10^((L² + 125L)/612 − 7/34)⌉} with {@code L = log2(shares)}; 2 → 1, 1024 → 100,
     * 262144 → 10000. Not proportional (3072:1024 shares become 240:100). The inverse solves the quadratic and then
     * steps to a shares value whose forward weight is exactly the requested one (100 → 1024).
     */
    QUADRATIC {
        @Override
        public long sharesToWeight(long shares) {
            if (shares <= CpuWeights.SHARES_MIN) {
                return CpuWeights.WEIGHT_MIN;
            }
            if (shares >= CpuWeights.SHARES_MAX) {
                return CpuWeights.WEIGHT_MAX;
            }
            double l = log2(shares);
            double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
            return clamp((long) Math.ceil(Math.pow(10, exponent)), CpuWeights.WEIGHT_MIN, CpuWeights.WEIGHT_MAX);
        }

        @Override
        public long weightToShares(long weight) {
            long w = clamp(weight, CpuWeights.WEIGHT_MIN, CpuWeights.WEIGHT_MAX);
            // Solve the quadratic in L for the exact weight, then step to the nearest shares value whose ceil'd
            // weight is exactly w (every weight is reachable: the forward slope is below 1 everywhere).
            double l = (-125 + Math.sqrt(125.0 * 125.0 + 2448.0 * (Math.log10(w) + 7.0 / 34.0))) / 2;
            long s = clamp((long) Math.floor(Math.pow(2, l) + 1e-6), CpuWeights.SHARES_MIN, CpuWeights.SHARES_MAX);
            while (s > CpuWeights.SHARES_MIN && sharesToWeight(s) > w) {
                s--;
            }
            while (s < CpuWeights.SHARES_MAX && sharesToWeight(s) < w) {
                s++;
            }
            return s;
        }
    };

    /** cpu.shares → cpu.weight; out-of-range shares are clamped first. */
    public abstract long sharesToWeight(long shares);

    /** cpu.weight → cpu.shares; out-of-range weights are clamped first. */
    public abstract long weightToShares(long weight);

    static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** Go's math.Log2: exact for powers of two, so 1024 gives exactly 10 and the formula exactly 100. */
    static double log2(long x) {
        if (Long.bitCount(x) == 1) {
            return Long.numberOfTrailingZeros(x);
        }
        int exp = Math.getExponent((double) x) + 1;
        double frac = x / Math.scalb(1.0, exp);
        return Math.log(frac) * (1 / Math.log(2)) + exp;
    }
}
