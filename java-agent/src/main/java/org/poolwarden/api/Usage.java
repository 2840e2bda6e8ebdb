package org.poolwarden.api;

import java.util.List;

/**
 * Live usage of one instance, from the last slow-tick sample. Rates are over the last sample interval; counters are
 * cumulative since the instance's cgroup or class was created. Unknown values are null, never 0.
 *
 * @param cpuPercent      CPU used, in percent of the whole host (100 = every core busy)
 * @param cpuUsageMicros  cumulative CPU time
 * @param throttling      null when the app has no CPU cap (nothing to throttle)
 * @param pressure        CPU pressure stall information; null where PSI is not available
 * @param pipes           one entry per pipe and direction the instance used
 */
public record Usage(double cpuPercent, long cpuUsageMicros, Throttling throttling, Pressure pressure,
                    List<PipeUsage> pipes) {
    public Usage {
        pipes = List.copyOf(pipes);
    }

    /** cpu.stat's nr_periods, nr_throttled, throttled_usec. */
    public record Throttling(long periods, long throttledPeriods, long throttledMicros) {}

    /** cpu.pressure: averages in percent over 10, 60 and 300 s, and the cumulative stall time. */
    public record Pressure(Line some, Line full) {
        public record Line(double avg10, double avg60, double avg300, long totalMicros) {}
    }

    public enum Direction { EGRESS, INGRESS }

    /** Traffic of the instance on one pipe in one direction, as its HTB class counts it. */
    public record PipeUsage(String pipe, Direction direction, long bytes, long packets, double bitsPerSecond,
                            long drops, long overlimits) {}
}
