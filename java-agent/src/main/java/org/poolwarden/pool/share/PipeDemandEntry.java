package org.poolwarden.pool.share;

/**
 * What one host published about one pipe for one interval, as decoded: the numbers are whatever arrived (the
 * allocator sanitises them), only the framing has been checked.
 *
 * @param pipeId        the pipe (from the entry key)
 * @param interval      interval number the demand was measured at
 * @param bookedBytes   queued bytes covered by bookings (at most the bookings per interval)
 * @param unbookedBytes the rest of the queue plus the host's overdraft
 * @param activeClasses backlogged unbooked classes (weight for the max-min split)
 * @param bookingBytes  the host's bookings per interval, queued or not (what its peers reserve for it while they
 *                      cannot hear it); an entry from an agent that does not publish it carries its booked bytes
 */
public record PipeDemandEntry(String pipeId, long interval, double bookedBytes, double unbookedBytes,
                              int activeClasses, double bookingBytes) {

    /** An entry whose booking is what it has queued under it (the format before bookings were published). */
    public PipeDemandEntry(String pipeId, long interval, double bookedBytes, double unbookedBytes, int activeClasses) {
        this(pipeId, interval, bookedBytes, unbookedBytes, activeClasses, bookedBytes);
    }
}
