package org.poolwarden.tc.htb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The packet scheduler clock as the kernel advertises it in /proc/net/psched (four hex words: t2us, us2t,
 * clock_res, hz). HTB's buffer/cbuffer are in its ticks; iproute2 derives both the tick length and its "HZ" for
 * default bursts from this file, and so do we (a hard-coded HZ is the classic mistake).
 */
public record Psched(long t2us, long us2t, long clockRes, long hz) {
    public static final Path PROC = Path.of("/proc/net/psched");
    static final double TIME_UNITS_PER_SEC = 1_000_000.0;
    /** iproute2's fallback HZ when the file does not give one. */
    static final int DEFAULT_HZ = 100;

    /** What every modern kernel advertises: 64 ns ticks, 1 GHz high-resolution timers. */
    public static final Psched MODERN = new Psched(1000, 64, 1_000_000, 1_000_000_000);

    public static Psched parse(String content) {
        String[] w = content.trim().split("\\s+");
        if (w.length < 4) {
            throw new IllegalArgumentException("/proc/net/psched: expected 4 hex words, got '" + content.trim() + "'");
        }
        try {
            return new Psched(Long.parseLong(w[0], 16), Long.parseLong(w[1], 16), Long.parseLong(w[2], 16),
                    Long.parseLong(w[3], 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("/proc/net/psched: not hex: '" + content.trim() + "'");
        }
    }

    public static Psched read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static Psched system() {
        return read(PROC);
    }

    /** iproute2 tc_core_init: ticks per microsecond. */
    public double tickInUsec() {
        long t2 = clockRes == 1_000_000_000L ? us2t : t2us;
        double clockFactor = clockRes / TIME_UNITS_PER_SEC;
        return (double) t2 / us2t * clockFactor;
    }

    /** iproute2 get_hz(): the fourth word when clock_res is 1000000, else 100. */
    public long iprouteHz() {
        return clockRes == 1_000_000 && hz != 0 ? hz : DEFAULT_HZ;
    }

    /** Nanoseconds per tick as the kernel converts them (PSCHED_TICKS2NS: ticks << 6). */
    public static long nanosPerTick() {
        return 64;
    }
}
