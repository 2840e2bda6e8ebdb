package org.poolwarden.pool.share;

/**
 * Type codes of the values the pool-share wiring puts into exchange entries (first byte of the value). Append-only,
 * like the exchange's record types: a code is never reused or renumbered, so an older agent skips (and counts) a
 * value type it does not know and keeps using the rest.
 */
public final class ShareValueType {
    /** One host's queued bytes on one pipe for one interval (key {@code pd/PIPE}). */
    public static final int PIPE_DEMAND = 1;
    /** One copy of a versioned policy (key {@code pol/POLICYKEY}). */
    public static final int POLICY = 2;
    /** A host's CPU for pool CPU policies: cores and app instances (key {@code hc}). */
    public static final int HOST_CPU = 3;
    // next free code: 4

    /** Format of the fields after the type byte; fields are only ever appended, readers skip a longer tail. */
    public static final int FORMAT = 1;

    public static final String DEMAND_PREFIX = "pd/";
    public static final String POLICY_PREFIX = "pol/";
    public static final String HOST_CPU_KEY = "hc";

    private ShareValueType() {
    }
}
