package org.poolwarden.pool.cpu;

/**
 * What one host enforces for one app: a cap (cgroup cpu.max) and a weight (cpu.weight).
 *
 * @param hostId    host
 * @param appId     app
 * @param capCores  the app's part of its pool-wide amount on this host; caps of an app sum to its pool amount
 * @param weight    cpu.weight, 100 per core of cap (cgroup v2's default 100 = "one share"), clamped to 1..10000,
 *                  so that under contention siblings get CPU in proportion to their caps
 */
public record HostAppCpu(String hostId, String appId, double capCores, int weight) {

    public static final int WEIGHT_PER_CORE = 100;

    public static int weightFor(double capCores) {
        long w = Math.round(capCores * WEIGHT_PER_CORE);
        return (int) Math.max(1, Math.min(10_000, w));
    }
}
