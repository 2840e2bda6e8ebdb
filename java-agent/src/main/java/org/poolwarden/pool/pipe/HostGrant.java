package org.poolwarden.pool.pipe;

/**
 * One host's part of a pipe for one tick, in bytes of that tick. Every host computes the grants of all hosts.
 *
 * @param hostId         member id
 * @param stale          true if the host was not heard for k ticks (or its entry was unusable) and is only reserved
 * @param bookedBytes    granted booked bytes (all of them unless bookings exceed the pipe)
 * @param unbookedBytes  granted unbooked bytes
 * @param immediateBytes spare credit after devaluation by the pipe's factor
 * @param entitlementBytes what the host accounts for in the pipe: booked + unbooked + spare at face value (or the
 *                       reservation of a stale host); entitlements of all hosts sum to the pipe's bytes per tick
 */
public record HostGrant(String hostId, boolean stale, long bookedBytes, long unbookedBytes, long immediateBytes,
                        long entitlementBytes) {

    /** What the host may send this tick (before paying any overdraft). Zero for a stale host. */
    public long creditBytes() {
        return stale ? 0 : bookedBytes + unbookedBytes + immediateBytes;
    }
}
