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
 * A peer whose last entry is {@code k} ticks old (default 3), that never published, or whose entry was unusable is
 * not counted at zero: it is reserved {@code max(lastBooked, (1-beta) * Q / N)} where Q is the pipe's bytes per
 * tick, N the members not declared dead and beta the pipe's {@code partitionSlack} (default 0.05). If the pool
 * splits into m groups that cannot hear each other but agree on N, each group's hosts together take at most
 * {@code Q - (N - |g|)(1-beta)Q/N}, so all groups together take at most {@code Q + (m-1) * beta * Q}: 5% over for
 * a two-way split with the default. The bound needs no agreement on anybody's demand. It stops holding once
 * membership declares the other side dead (then each side releases the other's share): failure detection must be
 * slower than the partitions it should ride out. In the first k-1 ticks of a partition the other side is still
 * counted at its last published demand, which can overrun by as much as demand changed in those ticks.
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
 * unbooked = the rest plus {@code OverdraftLedger.overdraft()}), build the list of all members' last entries with
 * their tick numbers and membership liveness, call {@code SharedPipeAllocator.allocate(now, entries)}, take this
 * host's grant, {@code usable = ledger.begin(grant.creditBytes())}, {@code HostClassSplitter.split(...)} for the tc
 * adapter, and {@code ledger.sent(bytes)} from the class counters.
 */
package org.poolwarden.pool;
