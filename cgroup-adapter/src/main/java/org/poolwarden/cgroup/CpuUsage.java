package org.poolwarden.cgroup;

import java.util.OptionalLong;

/**
 * What a group has used, cumulative since it was created.
 *
 * @param cpuNanos          CPU time (v1 {@code cpuacct.usage}; v2 {@code cpu.stat usage_usec} × 1000)
 * @param throttledNanos    time its tasks were held back by the cap (v1 {@code cpu.stat throttled_time}; v2
 *                          {@code throttled_usec} × 1000)
 * @param throttledPeriods  periods in which the cap bit ({@code nr_throttled})
 * @param pressureSomeMicros total stall time of {@code cpu.pressure}'s "some" line; empty where the kernel keeps no
 *                          per-group pressure (cgroup v1), never a made-up 0
 */
public record CpuUsage(long cpuNanos, long throttledNanos, long throttledPeriods, OptionalLong pressureSomeMicros) {
}
