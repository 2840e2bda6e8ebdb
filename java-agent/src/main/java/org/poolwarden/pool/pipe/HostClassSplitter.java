package org.poolwarden.pool.pipe;

import java.util.Arrays;
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
        int n = apps.size();
        String[] ids = new String[n];
        long[] booked = new long[n];
        long[] unbooked = new long[n];
        for (int i = 0; i < n; i++) {
            AppClassDemand a = apps.get(i);
            ids[i] = a.appId();
            booked[i] = a.bookedBytes();
            unbooked[i] = a.unbookedBytes();
        }
        return split(cfg, grant, usable, ids, booked, unbooked, n);
    }

    /**
     * The same over parallel arrays (the coordinator's per-pipe buffers, no object per class): the first {@code n}
     * classes, {@code booked} and {@code unbooked} at least 0.
     */
    public static List<ClassRate> split(PipeConfig cfg, HostGrant grant, long usable, String[] appIds, long[] booked,
                                        long[] unbooked, int n) {
        double tick = cfg.tickSeconds();
        long ceil = (long) Math.floor(usable / tick);
        long totalBooked = 0;
        for (int i = 0; i < n; i++) {
            totalBooked += booked[i];
        }
        double bookedShare = totalBooked == 0 ? 0 : Math.min(1.0, (double) grant.bookedBytes() / totalBooked);
        double[] expected = new double[n];
        double left = usable;
        // Booked first, scaled to the booked grant and to what is usable.
        double bookedTotal = 0;
        for (int i = 0; i < n; i++) {
            bookedTotal += booked[i] * bookedShare;
        }
        double bookedFit = bookedTotal > left ? left / bookedTotal : 1.0;
        for (int i = 0; i < n; i++) {
            expected[i] = booked[i] * bookedShare * bookedFit;
            left -= expected[i];
        }
        left = Math.max(0, left);
        // The rest max-min among the classes' unbooked demand (what HTB's equal quanta approximate). Saturating
        // a class only raises the level, so passes in list order need no sort; a class whose demand is above
        // what is left in all stays unsaturated, so the passes run over the candidates only.
        int[] open = new int[n];
        int remaining = 0;
        for (int i = 0; i < n; i++) {
            if (unbooked[i] > 0) {
                open[remaining++] = i;
            }
        }
        boolean changed = true;
        while (changed && remaining > 0) {
            changed = false;
            double level = left / remaining;
            int kept = 0;
            for (int k = 0; k < remaining; k++) {
                int i = open[k];
                long d = unbooked[i];
                if (d <= level) {
                    expected[i] += d;
                    left -= d;
                    changed = true;
                } else {
                    open[kept++] = i;
                }
            }
            remaining = kept;
        }
        if (remaining > 0) {
            double level = Math.max(0, left) / remaining;
            for (int k = 0; k < remaining; k++) {
                expected[open[k]] += level;
            }
        }
        ClassRate[] out = new ClassRate[n];
        for (int i = 0; i < n; i++) {
            long rate = (long) Math.floor(booked[i] * bookedShare / tick);
            out[i] = new ClassRate(appIds[i], Math.min(rate, ceil), ceil, (long) Math.floor(expected[i]));
        }
        return Arrays.asList(out);
    }
}
