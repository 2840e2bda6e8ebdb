package org.poolwarden.agent;

/**
 * Where the pool-wide parts plug into the control loop (exchange, pipe shares on the fast tick; membership sweep on
 * the slow tick). Called on the control thread; must not block.
 */
public interface TickListener {
    default void onFastTick(long nowNanos) {}

    default void onSlowTick(long nowNanos) {}
}
