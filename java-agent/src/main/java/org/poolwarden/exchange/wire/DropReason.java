package org.poolwarden.exchange.wire;

import org.poolwarden.exchange.ExchangeCounters.Counter;

/** Why a packet was dropped. Each maps to one counter. */
public enum DropReason {
    TRUNCATED(Counter.DROP_TRUNCATED),
    OVERSIZED(Counter.DROP_OVERSIZED),
    BAD_MAGIC(Counter.DROP_BAD_MAGIC),
    UNKNOWN_VERSION(Counter.DROP_UNKNOWN_VERSION),
    WRONG_POOL(Counter.DROP_WRONG_POOL),
    BAD_KEY(Counter.DROP_BAD_KEY),
    CLOCK_SKEW(Counter.DROP_CLOCK_SKEW),
    REPLAY(Counter.DROP_REPLAY),
    MALFORMED(Counter.DROP_MALFORMED);

    public final Counter counter;

    DropReason(Counter counter) {
        this.counter = counter;
    }
}
