package org.poolwarden.pool.pipe;

/**
 * One application's class on this host for one pipe, for one tick.
 *
 * @param appId         application (class) id
 * @param bookedBytes   queued bytes covered by the app's booking (at most its booking per tick)
 * @param unbookedBytes queued bytes beyond its booking
 */
public record AppClassDemand(String appId, long bookedBytes, long unbookedBytes) {
    public AppClassDemand {
        if (appId == null || appId.isBlank()) {
            throw new IllegalArgumentException("app class: appId is empty");
        }
        if (bookedBytes < 0 || unbookedBytes < 0) {
            throw new IllegalArgumentException("app class " + appId + ": bookedBytes=" + bookedBytes
                    + " unbookedBytes=" + unbookedBytes + " must be >= 0");
        }
    }
}
