package org.poolwarden.pool.pipe;

/** What membership says about a host. Only DEAD removes a host from the pipe; silence alone never does. */
public enum Liveness {
    ALIVE,
    /** Membership suspects it; its entry is still used while fresh, then it is reserved like any stale peer. */
    SUSPECT,
    /** Declared failed or left: its share is released and policies are rescaled. */
    DEAD
}
