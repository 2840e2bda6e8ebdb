package org.poolwarden.pool.pipe;

import java.util.ArrayList;
import java.util.List;

/** Turns this host's grant into per-application HTB rates (rate = booked share, ceil = host credit). */
public final class HostClassSplitter {

    private HostClassSplitter() {
    }

    /**
     * @param cfg        the pipe
     * @param grant      this host's grant for the tick
     * @param usable     credit usable after overdraft (what the HTB parent may send this tick)
     * @param apps       this host's classes; result has the same order
     */
    public static List<ClassRate> split(PipeConfig cfg, HostGrant grant, long usable, List<AppClassDemand> apps) {
        double tick = cfg.tickSeconds();
        long ceil = (long) Math.floor(usable / tick);
        long totalBooked = 0;
        for (AppClassDemand a : apps) {
            totalBooked += a.bookedBytes();
        }
        double bookedShare = totalBooked == 0 ? 0 : Math.min(1.0, (double) grant.bookedBytes() / totalBooked);
        int n = apps.size();
        double[] expected = new double[n];
        double left = usable;
        double[] bookedPart = new double[n];
        // Booked first, scaled to the booked grant and to what is usable.
        double bookedTotal = 0;
        for (int i = 0; i < n; i++) {
            bookedPart[i] = apps.get(i).bookedBytes() * bookedShare;
            bookedTotal += bookedPart[i];
        }
        double bookedFit = bookedTotal > left ? left / bookedTotal : 1.0;
        for (int i = 0; i < n; i++) {
            expected[i] = bookedPart[i] * bookedFit;
            left -= expected[i];
        }
        left = Math.max(0, left);
        // The rest max-min among the classes' unbooked demand (what HTB's equal quanta approximate). Saturating
        // a class only raises the level, so passes in list order need no sort.
        boolean[] done = new boolean[n];
        int remaining = 0;
        for (int i = 0; i < n; i++) {
            if (apps.get(i).unbookedBytes() > 0) {
                remaining++;
            } else {
                done[i] = true;
            }
        }
        boolean changed = true;
        while (changed && remaining > 0) {
            changed = false;
            double level = left / remaining;
            for (int i = 0; i < n; i++) {
                if (!done[i] && apps.get(i).unbookedBytes() <= level) {
                    long d = apps.get(i).unbookedBytes();
                    expected[i] += d;
                    left -= d;
                    remaining--;
                    done[i] = true;
                    changed = true;
                }
            }
        }
        if (remaining > 0) {
            double level = Math.max(0, left) / remaining;
            for (int i = 0; i < n; i++) {
                if (!done[i]) {
                    expected[i] += level;
                }
            }
        }
        List<ClassRate> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long rate = (long) Math.floor(bookedPart[i] / tick);
            out.add(new ClassRate(apps.get(i).appId(), Math.min(rate, ceil), ceil, (long) Math.floor(expected[i])));
        }
        return out;
    }
}
