package org.poolwarden.api;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code since} of a history query: an age ("90s", "15m", "1h30m", "7d", "2w") or an RFC 3339 time or date. */
public final class Since {
    private static final Pattern AGE = Pattern.compile("(?:[0-9]+[smhdw])+");
    private static final Pattern PART = Pattern.compile("([0-9]+)([smhdw])");
    /** The store keeps a year of hourly rollups; further back there is nothing to show. */
    public static final Duration MAX_AGE = Duration.ofDays(366);

    private Since() {}

    /** @throws IllegalArgumentException with a one-line message saying what is accepted */
    public static Instant parse(String text, Instant now) {
        String t = text.strip();
        Instant at;
        if (AGE.matcher(t).matches()) {
            Duration d = Duration.ZERO;
            Matcher m = PART.matcher(t);
            try {
                while (m.find()) {
                    long n = Long.parseLong(m.group(1));
                    d = d.plus(switch (m.group(2)) {
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        case "d" -> Duration.ofDays(n);
                        default -> Duration.ofDays(Math.multiplyExact(n, 7));
                    });
                }
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("\"" + text + "\" is too far back (at most " + MAX_AGE.toDays()
                        + "d)");
            }
            if (d.compareTo(MAX_AGE) > 0) {
                throw new IllegalArgumentException("\"" + text + "\" is too far back (at most " + MAX_AGE.toDays()
                        + "d)");
            }
            at = now.minus(d);
        } else {
            try {
                at = t.length() == 10 ? LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant()
                        : OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("\"" + text + "\" is neither an age like 1h, 30m, 7d nor a time"
                        + " like 2026-01-31T12:00:00Z");
            }
            if (at.isAfter(now)) throw new IllegalArgumentException("\"" + text + "\" is in the future");
        }
        return at;
    }
}
