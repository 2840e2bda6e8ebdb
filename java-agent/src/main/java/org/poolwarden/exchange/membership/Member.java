package org.poolwarden.exchange.membership;

import java.net.InetSocketAddress;

/** One member as this host sees it. Mutable; owned by {@link Membership}. */
final class Member {
    final long id;
    InetSocketAddress address;
    MemberState state;
    int incarnation;
    long sinceNanos;
    Suspicion suspicion;
    /** When this host last told the member directly that it is held dead (rate limit); MIN_VALUE: never. */
    long deadNoticeAt = Long.MIN_VALUE;

    Member(long id, InetSocketAddress address, MemberState state, int incarnation, long sinceNanos) {
        this.id = id;
        this.address = address;
        this.state = state;
        this.incarnation = incarnation;
        this.sinceNanos = sinceNanos;
    }

    MemberView view() {
        return new MemberView(id, address, state, incarnation, sinceNanos);
    }
}
