package org.poolwarden.tc.htb;

/**
 * The pure arithmetic behind HTB class options, following iproute2 (tc/q_htb.c, tc/tc_core.c) so our bytes equal
 * what {@code tc} sends, with two deliberate differences: the quantum is always set explicitly (clamped to
 * [MTU, 200000], so the kernel never warns "quantum is big/small"), and a burst that iproute2 would round to zero
 * ticks (rates where one burst lasts under a microsecond, ≈ 13 Gbit and up) is converted exactly instead, because
 * a zero burst makes the class permanently over limit.
 */
public final class HtbArithmetic {
    /** The kernel warns above this quantum (sch_htb.c). */
    public static final int MAX_QUANTUM = 200_000;
    /** iproute2's default "mtu" for rate tables and bursts: an Ethernet frame with headroom. */
    public static final int DEFAULT_MTU = 1600;
    public static final int DEFAULT_R2Q = 10;
    static final double TIME_UNITS_PER_SEC = 1_000_000.0;
    /** Rates from here on need TCA_HTB_RATE64/CEIL64; the 32-bit field then holds ~0U. */
    public static final long RATE64_THRESHOLD = 1L << 32;

    private HtbArithmetic() {
    }

    /** iproute2's default burst in bytes: rate/HZ + mtu, with HZ from /proc/net/psched. */
    public static long defaultBurstBytes(long rateBytesPerSec, int mtu, Psched psched) {
        return Long.divideUnsigned(rateBytesPerSec, psched.iprouteHz()) + mtu;
    }

    /**
     * iproute2 tc_calc_xmittime: the time to send {@code size} bytes at {@code rate}, in scheduler ticks, with its
     * truncations (first to whole microseconds, then to whole ticks).
     */
    public static long iprouteXmitTicks(long rateBytesPerSec, long size, Psched psched) {
        double usec = TIME_UNITS_PER_SEC * ((double) size / unsignedDouble(rateBytesPerSec));
        long timeUnits = toUnsignedInt(usec);
        return toUnsignedInt(timeUnits * psched.tickInUsec());
    }

    /**
     * Burst time in ticks for HTB's buffer/cbuffer: iproute2's value, except that one which truncates to zero is
     * computed exactly (rounded up), so a fast class still gets a burst of at least {@code size} bytes.
     */
    public static long burstTicks(long rateBytesPerSec, long size, Psched psched) {
        long ticks = iprouteXmitTicks(rateBytesPerSec, size, psched);
        if (ticks >= 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("burst of " + size + " bytes at " + rateBytesPerSec
                    + " bytes/s lasts longer than the kernel's 32-bit tick field holds (about 274 s)");
        }
        if (ticks != 0 || size == 0) {
            return ticks;
        }
        double nanos = 1e9 * (double) size / unsignedDouble(rateBytesPerSec);
        return Math.min(0xFFFF_FFFFL, (long) Math.ceil(nanos / Psched.nanosPerTick()));
    }

    /** iproute2's cell_log for an mtu: the smallest shift that fits the mtu into 256 cells. */
    public static int cellLog(int mtu) {
        int m = mtu == 0 ? 2047 : mtu;
        int cellLog = 0;
        while ((m >>> cellLog) > 255) {
            cellLog++;
        }
        return cellLog;
    }

    /** The 32-bit rate that goes into tc_ratespec: the rate, or ~0U when it needs the 64-bit attribute. */
    public static int rate32(long rateBytesPerSec) {
        return Long.compareUnsigned(rateBytesPerSec, RATE64_THRESHOLD) >= 0 ? 0xFFFF_FFFF : (int) rateBytesPerSec;
    }

    public static boolean needsRate64(long rateBytesPerSec) {
        return Long.compareUnsigned(rateBytesPerSec, RATE64_THRESHOLD) >= 0;
    }

    /** iproute2 tc_calc_rtable for an Ethernet link: 256 transmit times, computed from the 32-bit rate. */
    public static int[] rateTable(long rateBytesPerSec, int mtu, int mpu, Psched psched) {
        int cellLog = cellLog(mtu);
        long bps = Integer.toUnsignedLong(rate32(rateBytesPerSec));
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            long sz = (long) (i + 1) << cellLog;
            if (sz < mpu) {
                sz = mpu;
            }
            table[i] = (int) iprouteXmitTicks(bps, sz, psched);
        }
        return table;
    }

    /** The quantum we always set: rate/r2q clamped to [mtu, 200000]. */
    public static int quantum(long rateBytesPerSec, int r2q, int mtu) {
        long q = Long.divideUnsigned(rateBytesPerSec, Math.max(1, r2q));
        return (int) Math.max(mtu, Math.min(MAX_QUANTUM, q));
    }

    /**
     * The r2q for a tree whose leaves' rates are at most {@code maxLeafRate} bytes/s (its share): the default 10,
     * or larger so the fastest possible leaf's quantum just fits under 200000. Leaves share spare bandwidth in proportion to their quanta, so
     * one r2q for the whole tree keeps that in proportion to their rates (a per-class clamp would not: at 30 and
     * 10 Mbit both 200000 and 125000 would give the smaller class more than its share of what is left over).
     */
    public static int treeR2q(long maxLeafRate) {
        // the smallest r with floor(rate / r) <= MAX_QUANTUM (quantum() divides with truncation)
        long r2q = Math.max(DEFAULT_R2Q, maxLeafRate / (MAX_QUANTUM + 1) + 1);
        return (int) Math.min(Integer.MAX_VALUE, r2q);
    }

    /** Inverse of the tick conversion (iproute2 tc_calc_xmitsize), for reading bursts back. */
    public static long xmitSize(long rateBytesPerSec, long ticks, Psched psched) {
        return (long) (unsignedDouble(rateBytesPerSec) * (ticks / psched.tickInUsec()) / TIME_UNITS_PER_SEC);
    }

    /** What {@code tc class show} prints for a burst: like {@link #xmitSize} but from whole microseconds. */
    public static long iprouteXmitSize(long rateBytesPerSec, long ticks, Psched psched) {
        long usec = toUnsignedInt(ticks / psched.tickInUsec());
        return toUnsignedInt(unsignedDouble(rateBytesPerSec) * usec / TIME_UNITS_PER_SEC);
    }

    /** Bits per second (as people and tc write rates) to the kernel's bytes per second. */
    public static long bytesPerSecond(long bitsPerSecond) {
        return bitsPerSecond / 8;
    }

    // C's conversion of a non-negative double to unsigned int: truncation (values past 2^32 wrap in practice on
    // x86-64 through the 64-bit conversion; we saturate instead, which only matters for absurd inputs).
    static long toUnsignedInt(double v) {
        if (!(v > 0)) {
            return 0;
        }
        if (v >= 4294967295.0) {
            return 0xFFFF_FFFFL;
        }
        return (long) v;
    }

    static double unsignedDouble(long v) {
        return v >= 0 ? (double) v : (double) (v >>> 1) * 2.0;
    }
}
