package org.poolwarden.pool.pipe;

import java.util.List;
import java.util.Optional;

/**
 * The result of one allocation round for one pipe: the grants of all counted hosts, sorted by host id.
 *
 * @param pipeId          the pipe
 * @param interval        the tick this allocation is for
 * @param bytesPerInterval pipe bytes in that tick
 * @param grants          per host, sorted by host id (dead hosts are absent)
 * @param bookedScaled    true if fresh bookings did not fit and were cut proportionally ("insufficient resources")
 * @param rejections      peer values not taken as published
 */
public record PipeAllocation(String pipeId, long interval, double bytesPerInterval, List<HostGrant> grants,
                             boolean bookedScaled, List<Rejection> rejections) {

    public PipeAllocation {
        grants = List.copyOf(grants);
        rejections = List.copyOf(rejections);
    }

    public Optional<HostGrant> grant(String hostId) {
        // grants are in host-id order: a binary search (called for every pipe every round)
        int lo = 0;
        int hi = grants.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = grants.get(mid).hostId().compareTo(hostId);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return Optional.of(grants.get(mid));
            }
        }
        // not found, or constructed out of order by a caller: fall back to a scan
        for (HostGrant g : grants) {
            if (g.hostId().equals(hostId)) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    public long totalCredit() {
        long s = 0;
        for (HostGrant g : grants) {
            s += g.creditBytes();
        }
        return s;
    }

    public long totalEntitlement() {
        long s = 0;
        for (HostGrant g : grants) {
            s += g.entitlementBytes();
        }
        return s;
    }
}
