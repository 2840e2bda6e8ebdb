/**
 * The pool allocators run over the exchange: {@link org.poolwarden.pool.share.PipeShareCoordinator}, one per host,
 * driven by {@code tick(nowNanos)} on the fast tick.
 *
 * <h2>Entries</h2>
 * Two value types ride in ordinary exchange entries ({@link org.poolwarden.pool.share.ShareValueType}, append-only
 * codes in the value's first byte, a format byte after it, fields only ever appended):
 * <ul>
 *   <li>{@code pd/PIPE}: this host's demand on a pipe for one interval (interval number, booked and unbooked bytes,
 *       backlogged classes, and its booking when that differs from the booked bytes: entry size is how many
 *       entries a packet spreads), one entry per host and pipe, published only when it is news: a booking that changed
 *       (at once), unbooked demand that moved by more than {@code republishChange} of a fair share or of itself
 *       (at most once per publish gap, which grows with the pool: 8 new entries per interval pool-wide is what
 *       the exchange spreads), else a refresh every {@code refreshIntervals}. An entry counts as fresh for the
 *       refresh period plus k intervals; every host, this one included, allocates from the published entries, so
 *       suppression costs accuracy, not consistency;</li>
 *   <li>{@code pol/KEY}: one copy of a versioned policy. The origin publishes it; every host merges copies into a
 *       last-writer-wins {@link org.poolwarden.pool.policy.PolicySet} (highest version, then origin id), so all hosts
 *       converge whatever the order. When a member fails, the live member with the lowest id re-publishes that
 *       member's winning copies unchanged, so they outlive its reaped entries.</li>
 * </ul>
 *
 * <h2>A round (per pipe and interval)</h2>
 * Sample the host's traffic ({@link org.poolwarden.pool.share.PipeTraffic}); split each app's need into booked (up to
 * its booking, bookings over 100% fitted by priority with insufficient-resources events) and unbooked; allocate with
 * {@link org.poolwarden.pool.pipe.SharedPipeAllocator} from every participant's entry of the previous interval (this
 * host's own included, so all hosts compute from the same inputs; a lag of 2 intervals is an option), liveness from
 * membership; hand the credit to the {@link org.poolwarden.pool.pipe.OverdraftLedger} (or, for HTB-shaped traffic,
 * to HTB's own token bucket), split it with {@link org.poolwarden.pool.pipe.HostClassSplitter} and apply the tree
 * with a {@link org.poolwarden.tc.bandwidth.BandwidthController} (raises under 2% are not worth a netlink message;
 * cuts always are); publish this interval's demand.
 *
 * <h2>Failures</h2>
 * A member that membership declares failed or left is released from every pipe at the next round (at most one
 * interval after the event) and stays released, even after its entries are reaped, until it is heard alive again;
 * then its share and any bookings that had to be cut come back, because the allocation is a pure function of who is
 * alive. A member that only falls silent is never counted at zero: the allocator reserves it (partition bound),
 * and while this host hears no more than half of the members it keeps to a fair share itself, so two groups
 * overrun by at most half the partition slack. A released member whose demand entries are newer than its release
 * is counted again: after a partition membership can keep hosts declared dead that are sending.
 * That bound only holds while neither side of a partition releases the other, and a partition longer than the
 * suspicion timeout gets the far side declared failed. So a failed event is acted on only when more than half of
 * the members this host knows are alive, not suspect, and heard (their demand entries fresh), and the failed one is
 * no longer heard; otherwise the member is held: still reserved, released once a majority is back (or forgotten
 * when membership reaps it). One failure in a pool of three or more passes at once; the smaller side of a split
 * (and both sides of an even one) keeps reserving the other side.
 *
 * <h2>Bad input</h2>
 * Config errors throw naming the field (a pipe of 0 B/s, a pipe id too long for an exchange key, no app classes, a
 * default rate outside the link). A policy whose body does not parse or is out of range is refused by
 * {@code setPolicy} and, arriving from a peer, dropped on every host alike (so they still converge) and counted. Peer
 * demand: unreadable values and unknown value types are counted and leave the peer with its previous entry, which
 * ages into the allocator's reservation; booked bytes above the pipe's total bookings are moved to unbooked and
 * counted; NaN, negative and infinite numbers are ignored and values above one second of the pipe clamped by the
 * allocator, counted per host. This host publishes only numbers computed from its own counters: nothing a peer sent
 * is ever relayed as this host's own.
 *
 * <h2>Clocks</h2>
 * Interval numbers are compared across hosts, so {@code nowNanos} is an epoch-based, NTP-synchronised clock, not
 * {@code System.nanoTime()}.
 */
package org.poolwarden.pool.share;
