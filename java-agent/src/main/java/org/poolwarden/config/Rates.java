package org.poolwarden.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text forms of rates. Units follow tc's names but only bits (never tc's ambiguous "mbps" = megabytes): {@code bit,
 * kbit, mbit, gbit, tbit} with SI multiples (1000), and a bare number means bits per second.
 */
public final class Rates {
    private static final Pattern RATE = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([a-zA-Z]*)\\s*");
    private static final Pattern PERCENT = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*%\\s*");

    private Rates() {}

    /** Parses "30mbit", "1.5gbit", "125000"; throws IllegalArgumentException with a config-ready message. */
    public static long parseBits(String text) {
        Matcher m = RATE.matcher(text);
        if (!m.matches()) throw new IllegalArgumentException("\"" + text
                + "\" is not a rate (examples: 30mbit, 1gbit, 500kbit)");
        long mult = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "bit" -> 1L;
            case "kbit" -> 1_000L;
            case "mbit" -> 1_000_000L;
            case "gbit" -> 1_000_000_000L;
            case "tbit" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException("\"" + text + "\": unknown unit \"" + m.group(2)
                    + "\" (use bit, kbit, mbit, gbit or tbit)");
        };
        BigDecimal v = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(mult));
        if (v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too large");
        }
        return v.longValue();
    }

    /** Parses "25%" or "12.5 %" to the number; null if the text is not a percentage at all. */
    public static Double parsePercent(String text) {
        Matcher m = PERCENT.matcher(text);
        return m.matches() ? Double.valueOf(m.group(1)) : null;
    }

    public static String format(long bits) {
        if (bits != 0 && bits % 1_000_000_000L == 0) return bits / 1_000_000_000L + "gbit";
        if (bits != 0 && bits % 1_000_000L == 0) return bits / 1_000_000L + "mbit";
        if (bits != 0 && bits % 1_000L == 0) return bits / 1_000L + "kbit";
        return bits + "bit";
    }

    public static String formatPercent(double p) {
        return (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)) + "%";
    }
}
