package org.poolwarden.pool.cpu;

/** How many instances (processes groups) of an app run on a host. */
public record Instances(String appId, String hostId, int count) {
    public Instances {
        if (appId == null || appId.isBlank() || hostId == null || hostId.isBlank()) {
            throw new IllegalArgumentException("instances: appId/hostId empty (" + appId + "@" + hostId + ")");
        }
        if (count < 0) {
            throw new IllegalArgumentException("instances " + appId + "@" + hostId + ": count=" + count
                    + " must be >= 0");
        }
    }
}
