package org.poolwarden.config;

import java.util.List;

/**
 * What an app is entitled to on this host.
 *
 * @param priority  higher keeps its bookings first when the host cannot honour all of them
 * @param cpu       null: CPU not managed
 * @param bandwidth one entry per pipe the app uses
 */
public record Policy(int priority, CpuPolicy cpu, List<BandwidthPolicy> bandwidth) {
    public Policy {
        bandwidth = List.copyOf(bandwidth);
    }

    /** Ten levels: enough to rank tiers of service, few enough that operators use them consistently. */
    public static final int MIN_PRIORITY = 1;
    public static final int MAX_PRIORITY = 10;
    /** The middle, so an operator can rank an app above or below the rest without editing every policy. */
    public static final int DEFAULT_PRIORITY = 5;

    /**
     * Either a relative weight (cgroup v2 cpu.weight scale 1..10000, 100 = the kernel's default) or a guaranteed
     * percentage of the host's CPU; both may carry a cap (percentage of the host, enforced with cpu.max).
     */
    public record CpuPolicy(Integer weight, Double percent, Double capPercent) {
        /** cgroup v2 cpu.weight's own range, so a weight is written as given. */
        public static final int MIN_WEIGHT = 1;
        public static final int MAX_WEIGHT = 10000;
    }

    /** Booking (guaranteed) and burst limit (ceiling) on one pipe; burst null: up to the pipe's capacity. */
    public record BandwidthPolicy(String pipe, Amount booking, Amount burst) {}

    /** An amount of bandwidth: absolute, or a percentage of the pipe's capacity on this host. */
    public sealed interface Amount {
        record BitsPerSecond(long value) implements Amount {
            @Override
            public String toString() {
                return Rates.format(value);
            }
        }

        record Percent(double value) implements Amount {
            @Override
            public String toString() {
                return Rates.formatPercent(value);
            }
        }
    }
}
