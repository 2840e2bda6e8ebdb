package org.poolwarden.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Rates;

/** Numbers and policies for people: SI rates, short durations, aligned tables. Pure. */
final class Human {
    private Human() {}

    static String rate(double bitsPerSecond) {
        String[] units = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
        double v = bitsPerSecond;
        int u = 0;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? String.format(Locale.ROOT, "%.0f %s", v, units[u])
                : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String percent(double p) {
        return String.format(Locale.ROOT, "%.1f%%", p);
    }

    /** "45s", "3m 05s", "1h 02m", "3d 04h". */
    static String duration(long seconds) {
        if (seconds < 60) return seconds + "s";
        if (seconds < 3600) return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
        if (seconds < 86400) return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, seconds % 3600 / 60);
        return String.format(Locale.ROOT, "%dd %02dh", seconds / 86400, seconds % 86400 / 3600);
    }

    /** The policy in the config file's words, one line per part. */
    static List<String> policy(String app, Policy p) {
        List<String> lines = new ArrayList<>();
        if (p == null) {
            lines.add(app + ": no policy (monitored only)");
            return lines;
        }
        lines.add(app + ": priority " + p.priority());
        if (p.cpu() != null) {
            List<String> parts = new ArrayList<>();
            if (p.cpu().weight() != null) parts.add("weight " + p.cpu().weight());
            if (p.cpu().percent() != null) parts.add("percent " + Rates.formatPercent(p.cpu().percent()));
            if (p.cpu().capPercent() != null) parts.add("cap " + Rates.formatPercent(p.cpu().capPercent()));
            lines.add("  cpu: " + String.join(", ", parts));
        } else {
            lines.add("  cpu: not managed");
        }
        for (Policy.BandwidthPolicy b : p.bandwidth()) {
            List<String> parts = new ArrayList<>();
            if (b.booking() != null) parts.add("booking " + b.booking());
            if (b.burst() != null) parts.add("burst " + b.burst());
            lines.add("  bandwidth " + b.pipe() + ": " + String.join(", ", parts));
        }
        return lines;
    }

    /** Left-aligns the first column, right-aligns the others. */
    static List<String> table(List<String[]> rows) {
        int cols = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int[] w = new int[cols];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        List<String> out = new ArrayList<>();
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                if (i > 0) b.append("  ");
                String pad = " ".repeat(w[i] - r[i].length());
                b.append(i == 0 ? r[i] + pad : pad + r[i]);
            }
            out.add(b.toString().stripTrailing());
        }
        return out;
    }
}
