package org.poolwarden.pool.pipe;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * The partition-bound fixture: n hosts split at random into m groups that cannot hear each other. Every group
 * agrees on membership (nobody declared dead yet); inside a group everybody holds everybody's newest entry, so one
 * view per group stands for all of its hosts. Each host has a booking C, booked bytes B <= C and unbooked demand
 * of its own; every other group holds an older entry of it (a different booked and unbooked demand, stale) whose
 * booking is C unless {@code risenFraction} lets the booking have risen since that entry.
 */
public final class PartitionScenario {

    /** The interval every view is computed at. */
    public static final long NOW = 1000;

    public final PipeConfig cfg;
    public final int n;
    public final int m;
    private final int[] group;
    private final double[] booking;
    private final double[] booked;
    private final double[] unbooked;
    /** [group][host]: the entry that group holds of a host of another group. */
    private final PeerPipeState[][] held;

    private PartitionScenario(PipeConfig cfg, int n, int m) {
        this.cfg = cfg;
        this.n = n;
        this.m = m;
        this.group = new int[n];
        this.booking = new double[n];
        this.booked = new double[n];
        this.unbooked = new double[n];
        this.held = new PeerPipeState[m][n];
    }

    /**
     * @param maxBooking    each host's booking is uniform in [0, maxBooking) (bytes per interval)
     * @param risenFraction share of (group, silent host) pairs in which the silent host's booking rose after the
     *                      entry that group holds (0: bookings did not change during the partition)
     */
    public static PartitionScenario random(PipeConfig cfg, int n, int m, Random r, double maxBooking,
                                           double risenFraction) {
        PartitionScenario s = new PartitionScenario(cfg, n, m);
        double q = cfg.bytesPerInterval();
        for (int i = 0; i < n; i++) {
            s.group[i] = r.nextInt(m);
            s.booking[i] = r.nextDouble() * maxBooking;
            // a booked queue is either backlogged (booked = booking) or partly empty
            s.booked[i] = r.nextBoolean() ? s.booking[i] : r.nextDouble() * s.booking[i];
            s.unbooked[i] = r.nextDouble() * 2 * q;
        }
        for (int g = 0; g < m; g++) {
            for (int i = 0; i < n; i++) {
                if (s.group[i] == g) {
                    continue;
                }
                double c = r.nextDouble() < risenFraction ? r.nextDouble() * s.booking[i] : s.booking[i];
                s.held[g][i] = new PeerPipeState("h" + i, r.nextDouble() * c, r.nextDouble() * q, 1,
                        NOW - cfg.freshIntervals(n) - r.nextInt(10), Liveness.ALIVE, c);
            }
        }
        return s;
    }

    public int groupOf(int host) {
        return group[host];
    }

    /** What group {@code g}'s hosts hold: their own newest entries (fresh) and old ones of everybody else. */
    public List<PeerPipeState> view(int g) {
        List<PeerPipeState> view = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            view.add(group[i] == g
                    ? new PeerPipeState("h" + i, booked[i], unbooked[i], 1, NOW,
                    Liveness.ALIVE, booking[i])
                    : held[g][i]);
        }
        return view;
    }

    /**
     * What the pipe carries: every host sends the credit of its own group's allocation, after {@code adjust}
     * (this host's correction of its own grant, e.g. the minority cap).
     */
    public long sent(BiFunction<PipeAllocation, HostGrant, HostGrant> adjust) {
        long total = 0;
        for (int g = 0; g < m; g++) {
            PipeAllocation a = SharedPipeAllocator.compute(cfg, NOW, view(g));
            for (int i = 0; i < n; i++) {
                if (group[i] == g) {
                    total += adjust.apply(a, a.grant("h" + i).orElseThrow()).creditBytes();
                }
            }
        }
        return total;
    }

    /** What the pipe carries when every host sends its grant's credit as computed. */
    public long sent() {
        return sent((a, g) -> g);
    }

    /**
     * The booked bytes that some other group did not know were booked: per host, the largest
     * {@code booked - booking held} over the groups that cannot hear it. 0 when bookings did not rise.
     */
    public double unseenBookings() {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double worst = 0;
            for (int g = 0; g < m; g++) {
                if (group[i] != g) {
                    worst = Math.max(worst, booked[i] - held[g][i].bookingBytes());
                }
            }
            sum += worst;
        }
        return sum;
    }
}
