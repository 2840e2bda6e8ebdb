package org.poolwarden.pool.cpu;

/**
 * "App A gets P% of the pool's CPU".
 *
 * @param appId       application
 * @param poolPercent share of the whole pool's nominal CPU (all members, failed ones included), 0 < p <= 100
 * @param priority    higher keeps its absolute amount first when capacity is lost
 */
public record CpuPolicy(String appId, double poolPercent, int priority) {
    public CpuPolicy {
        if (appId == null || appId.isBlank()) {
            throw new IllegalArgumentException("cpu policy: appId is empty");
        }
        if (!(poolPercent > 0 && poolPercent <= 100)) {
            throw new IllegalArgumentException("cpu policy " + appId + ": poolPercent=" + poolPercent
                    + " must be in (0,100]");
        }
    }
}
