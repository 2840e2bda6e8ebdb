package org.poolwarden.pool.pipe;

/** How unbooked demand is cut when it does not all fit in what the bookings leave. */
public enum UnbookedSplit {
    /** The seed's rule: every host gets the same fraction of its unbooked queue. */
    PROPORTIONAL,
    /**
     * Weighted water-filling: each host gets min(demand, weight * level), weight = its backlogged unbooked classes.
     * Default, because proportional-to-backlog rewards whoever queued most and is not fair per application.
     */
    MAX_MIN
}
