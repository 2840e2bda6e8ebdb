package org.poolwarden.exchange;

import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.wire.Message;

/** Called on the node's thread; must return quickly (hand work to the agent's own loop). */
public interface ExchangeListener {
    default void onMemberEvent(MemberEvent event) {
    }

    /** A newer version of a peer's entry arrived (own entries are not reported). */
    default void onEntry(Message.Entry entry, long nowNanos) {
    }

    ExchangeListener NONE = new ExchangeListener() {
    };
}
