package org.poolwarden.exchange.membership;

import java.net.InetSocketAddress;

/** What the agent hears about membership. {@code ALIVE} means a suspicion was refuted. */
public record MemberEvent(Type type, long member, InetSocketAddress address, int incarnation, long atNanos) {
    public enum Type { JOINED, SUSPECT, ALIVE, FAILED, LEFT }
}
