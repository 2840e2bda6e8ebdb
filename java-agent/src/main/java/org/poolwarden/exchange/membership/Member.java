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
