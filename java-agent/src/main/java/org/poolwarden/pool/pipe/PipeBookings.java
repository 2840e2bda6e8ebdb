package org.poolwarden.pool.pipe;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.poolwarden.pool.rescale.Claim;
import org.poolwarden.pool.rescale.PriorityRescaler;
import org.poolwarden.pool.rescale.RescaleResult;

/**
 * Turns the bookings on a pipe into booked bytes per second per app. Bookings over 100% are not rejected (they may
 * come from different operators on different hosts); they are fitted by priority and reported as insufficient.
 */
public final class PipeBookings {

    private PipeBookings() {
    }

    /** Grants in bytes per second; {@link RescaleResult#insufficient()} lists bookings that could not be met. */
    public static RescaleResult resolve(PipeConfig cfg, Collection<PipeBooking> bookings) {
        List<Claim> claims = new ArrayList<>(bookings.size());
        for (PipeBooking b : bookings) {
            claims.add(new Claim(b.appId(), b.priority(), b.percent() / 100.0 * cfg.capacityBytesPerSec()));
        }
        return PriorityRescaler.rescale("pipe:" + cfg.pipeId(), claims, cfg.capacityBytesPerSec());
    }
}
