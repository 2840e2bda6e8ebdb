package org.poolwarden.exchange.membership;

import java.net.InetSocketAddress;

/** A read-only copy of one member's state. */
public record MemberView(long id, InetSocketAddress address, MemberState state, int incarnation, long sinceNanos) {
}
