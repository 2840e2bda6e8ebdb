/**
 * Pool-wide allocation, as pure code: every host runs the same functions on the same exchanged inputs and gets the
 * same answer, so no host has to be in charge. No I/O here; time comes in as tick numbers or clock readings.
 *
 * <h2>Sub-packages</h2>
 * <ul>
 *   <li>{@code pipe}: the shared-pipe allocator (seed 004 [0205]-[0215]). Per pipe and fast tick (50 ms), from
 *       every host's published queue split into booked and unbooked bytes
 *       ({@link org.poolwarden.pool.pipe.PeerPipeState}): booked first, unbooked if it all fits (else max-min
 *       weighted by backlogged classes, or the seed's proportional share), the spare as immediate credit devalued
 *       by the pipe's factor (default 50%). {@link org.poolwarden.pool.pipe.OverdraftLedger} carries the debt of
 *       whole packets sent over credit and pays it from unused allocation. {@link
 *       org.poolwarden.pool.pipe.HostClassSplitter} turns this host's grant into HTB numbers per application class
 *       (rate = booked share, ceil = host credit, bytes/s). {@link org.poolwarden.pool.pipe.PipeBookings} fits
 *       bookings that add up to more than 100% by priority.</li>
 *   <li>{@code cpu}: pool CPU percentages to per-host caps (cpu.max) and weights (cpu.weight), placed where the
 *       app's instances run and within what each host has.</li>
 *   <li>{@code rescale}: fitting absolute policy amounts into what is left after failures, by priority, with
 *       insufficient-resources events; pure, so restoring capacity restores the original amounts.</li>
 *   <li>{@code share}: the wiring: the allocators run over the exchange and the tc adapter, every fast tick.</li>
 *   <li>{@code policy}: the versioned policy set, a last-writer-wins CRDT (highest version, then origin id), and
 *       {@link org.poolwarden.pool.policy.PolicyCatalog}, which reads CPU policies ({@code cpu/APP}) and pipe
 *       bookings ({@code pipe/PIPE/APP}) out of it, skipping and reporting copies that do not parse.</li>
 * </ul>
 *
 * <h2>Stale peers and the partition bound</h2>
 * Every entry carries the host's booking C (its classes' guarantees per tick, queued or not) next to its booked
 * bytes B (queued under the booking, so B &lt;= C). A peer whose last entry is {@code k} ticks past its refresh
 * period (default 3), that never published, or whose entry was unusable is not counted at zero: it is reserved
 * {@code max(C, f)} with {@code f = (1-beta) * Q / N}, where Q is the pipe's bytes per tick, N the members not
 * declared dead and beta the pipe's {@code partitionSlack} (default 0.05). Within a view, fresh hosts' booked bytes
 * go first (all of them while they fit beside the silent hosts' bookings, {@code sum B <= Q - sum C(silent)}, else
 * cut proportionally into that room); the reservations come out of what is left (cut proportionally if they do not
 * fit), then unbooked demand and the spare.
 *
 * <p><b>Bound.</b> Let the pool split into m groups that cannot hear each other but agree on N; group g's hosts
 * hold its members' fresh entries and old entries of everybody else, so one view per group. Write {@code s_i} for
 * host i's booked grant in its group's view, {@code R_g} for the reservations of g's view before they are cut and
 * {@code T_g} for what g's hosts send. Since a view never hands out more than Q minus the (cut) reservations,
 * {@code T_g <= max(Q - R_g, sum_{i in g} s_i)}: either the reservations fit beside the bookings and g takes at most
 * {@code Q - R_g}, or they are cut to the room the bookings left and g takes its bookings. Call the groups of the
 * second kind booked-bound, k of them. Assume (A) every silent host's booking as the others hold it is at least
 * what it is granted: {@code s_j <= C_h(j)} for every group h that cannot hear j.
 * <ul>
 *   <li>k = 0: {@code T <= sum_g (Q - R_g) = m Q - sum_g R_g}, and each host is reserved at least f by each of the
 *       m-1 groups that cannot hear it, so {@code T <= m Q - (m-1) N f = Q + (m-1) beta Q}.</li>
 *   <li>0 &lt; k &lt; m: the m-k other groups each reserve a host j of a booked-bound group
 *       {@code max(C_h(j), f)}; one of them covers {@code s_j} (A), the others at least f; every other host is
 *       reserved at least f by each of the m-k-1 other groups that are not its own. So
 *       {@code sum_{g not bound} R_g >= sum_{j bound} s_j + (m-k-1) N f} and
 *       {@code T <= sum_{j bound} s_j + (m-k) Q - sum_{j bound} s_j - (m-k-1)(1-beta) Q = Q + (m-k-1) beta Q}.</li>
 *   <li>k = m: {@code T = sum_all s}. Take any group g: its bookings fit beside the bookings it holds for the
 *       others, {@code sum_{i in g} s_i <= Q - sum_{j not in g} C_g(j) <= Q - sum_{j not in g} s_j} (A), so
 *       {@code T <= Q}.</li>
 * </ul>
 * Hence {@code T <= Q + (m-1) beta Q}: 5% over for a two-way split with the default, as when bookings came after
 * the reservations, and without the silent hosts' floors cutting the bookings of a host that hears few others
 * (the bookings misses of the 128-host simulation). Floors to whole bytes only lower T. Where (A) fails (a host's
 * booking rose, by a policy change or a new class, while others could not hear it), replace {@code s_j} by
 * {@code C_h(j)} in the argument: the overrun grows by at most {@code sum_j max_h (s_j - C_h(j))}, the bookings the
 * other side did not know of. Both are jqwik properties ({@code PipeAllocatorPropertiesTest}, fixture
 * {@code PartitionScenario}). With the minority cap of the coordinator (a host that hears no more than half of the
 * members takes at most {@code max(Q / N, its booked grant)}) two groups overrun by at most beta / 2 when each
 * booking fits in a fair share ({@code MinorityCapTest}). The bound stops holding once membership declares the
 * other side dead (then each side releases the other's share): failure detection must be slower than the
 * partitions it should ride out. In the first ticks of a partition the other side is still counted fresh at its
 * last published demand, which can overrun by as much as demand changed in those ticks.
 *
 * <h2>Bad input</h2>
 * Config errors (a pipe of 0 B/s, factors outside [0,1], percentages outside (0,100]) throw
 * IllegalArgumentException naming the field and value. Peer entries are never trusted: negative, NaN or infinite
 * demand, a tick number from the future and duplicates make the entry ignored (the peer keeps only the reservation
 * floor); demand above one second of the pipe is clamped. Each case is a {@link org.poolwarden.pool.pipe.Rejection}
 * and a counter on {@link org.poolwarden.pool.pipe.SharedPipeAllocator}. Nothing here republishes a peer's values.
 *
 * <h2>Wiring (for the exchange)</h2>
 * Done by {@link org.poolwarden.pool.share.PipeShareCoordinator} (sub-package {@code share}); the recipe it follows:
 * Each tick, per pipe: publish this host's entry (booked = queued under bookings, at most the booking per tick;
 * unbooked = the rest plus {@code OverdraftLedger.overdraft()}; booking = the sum of its classes' bookings per tick), build the list of all members' last entries with
 * their tick numbers and membership liveness, call {@code SharedPipeAllocator.allocate(now, entries)}, take this
 * host's grant, {@code usable = ledger.begin(grant.creditBytes())}, {@code HostClassSplitter.split(...)} for the tc
 * adapter, and {@code ledger.sent(bytes)} from the class counters.
 */
package org.poolwarden.pool;
