package org.poolwarden.policy;

/**
 * Concrete rates for one app on one pipe on this host, in bytes per second (what HTB takes).
 *
 * @param rate the guaranteed rate after scaling (0: no guarantee; the tc adapter applies its minimum)
 * @param ceil the burst limit, at least {@code rate} and at most the pipe's capacity
 */
public record BandwidthAllocation(String app, String pipe, long rate, long ceil, long bookedRate) {
    /** What the app may burst to beyond its guaranteed rate when the pipe has idle capacity, in bytes/s. */
    public long headroom() {
        return ceil - rate;
    }
}
