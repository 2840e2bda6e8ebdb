package org.poolwarden.pool.pipe;

/**
 * What one host last published for one pipe, as this host's exchange holds it (its own entry included).
 * Demand fields are doubles on purpose: the decoder passes whatever arrived and the allocator sanitises it.
 *
 * @param hostId         member id (unique in the pool)
 * @param bookedBytes    bytes queued under a booking (policy guarantee), capped by the host at its booking per tick
 * @param unbookedBytes  bytes queued beyond bookings (including any overdraft carried from the last tick)
 * @param activeClasses  backlogged unbooked classes on that host (weight for the max-min split), at least 1
 * @param intervalNumber tick number at which the entry was produced; {@link #NEVER} if nothing was ever received
 * @param liveness       what membership says
 * @param bookingBytes   the host's bookings per tick (the sum of its classes' guarantees, whether queued or not):
 *                       what a silent host is reserved, so that a booking it starts to use while nobody hears it
 *                       is already counted everywhere. At least {@code bookedBytes} (the allocator moves booked
 *                       bytes above it to unbooked); for {@link #NEVER} the host's booking from the policy set if
 *                       known, else 0
 */
public record PeerPipeState(String hostId, double bookedBytes, double unbookedBytes, int activeClasses,
                            long intervalNumber, Liveness liveness, double bookingBytes) {

    public static final long NEVER = Long.MIN_VALUE;

    /** An entry whose booking is what it has queued under it (peers that publish no booking of their own). */
    public PeerPipeState(String hostId, double bookedBytes, double unbookedBytes, int activeClasses,
                         long intervalNumber, Liveness liveness) {
        this(hostId, bookedBytes, unbookedBytes, activeClasses, intervalNumber, liveness, bookedBytes);
    }

    public static PeerPipeState alive(String hostId, double booked, double unbooked, long interval) {
        return new PeerPipeState(hostId, booked, unbooked, 1, interval, Liveness.ALIVE);
    }

    public PeerPipeState withInterval(long interval) {
        return new PeerPipeState(hostId, bookedBytes, unbookedBytes, activeClasses, interval, liveness, bookingBytes);
    }

    public PeerPipeState withLiveness(Liveness l) {
        return new PeerPipeState(hostId, bookedBytes, unbookedBytes, activeClasses, intervalNumber, l, bookingBytes);
    }

    public PeerPipeState withBooking(double booking) {
        return new PeerPipeState(hostId, bookedBytes, unbookedBytes, activeClasses, intervalNumber, liveness, booking);
    }
}
