package org.poolwarden.store;

import java.time.Duration;

/** The three resolutions kept, each with its retention (the "raw 1 h, 1 min for 7 days, 1 h for a year"). */
public enum Resolution {
    /** Every slow-tick sample, for "what happened just now". */
    RAW("samples_raw", 0, Duration.ofHours(1)),
    /** Minute aggregates: a week of detail for squeezed/idle analysis. */
    MINUTE("samples_1m", 60_000, Duration.ofDays(7)),
    /** Hour aggregates: a year, for capacity planning and reports. */
    HOUR("samples_1h", 3_600_000, Duration.ofDays(365));

    final String table;
    /** Bucket width in ms (0: none, raw samples). */
    final long bucketMillis;
    public final Duration retention;

    Resolution(String table, long bucketMillis, Duration retention) {
        this.table = table;
        this.bucketMillis = bucketMillis;
        this.retention = retention;
    }

    /** The finest resolution that still holds data back to {@code sinceMillis}. */
    public static Resolution finestCovering(long sinceMillis, long nowMillis) {
        long age = nowMillis - sinceMillis;
        for (Resolution r : values()) if (age <= r.retention.toMillis()) return r;
        return HOUR;
    }
}
