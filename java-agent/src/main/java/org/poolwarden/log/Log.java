package org.poolwarden.log;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's logger: one line per event on stderr, in logfmt ({@code level=info msg="api listening" port=7474}) or
 * JSON. Journal friendly: under systemd ({@code JOURNAL_STREAM} set) lines carry no timestamp, since the journal adds
 * its own, and start with a syslog priority prefix ({@code <6>}) that the journal turns into the entry's priority.
 *
 * <p>For events, not for hot paths: the control loop counts, and logs only changes of state (an alarm raised, a
 * config rejected). Thread-safe: each line is one {@code print} on a shared stream.
 */
public final class Log {
    public enum Level {
        DEBUG(7), INFO(6), WARN(4), ERROR(3);

        /** syslog priority, for the journal's {@code <N>} prefix */
        final int syslog;

        Level(int syslog) {
            this.syslog = syslog;
        }
    }

    public enum Format { LOGFMT, JSON }

    /** Drops everything; for code under test that needs a Log. */
    public static final Log NONE = new Log(null, Format.LOGFMT, Level.ERROR, false, Clock.systemUTC());

    private final PrintStream out;
    private final Format format;
    private final Level min;
    private final boolean journal;
    private final Clock clock;

    public Log(PrintStream out, Format format, Level min, boolean journal, Clock clock) {
        this.out = out;
        this.format = format;
        this.min = min;
        this.journal = journal;
        this.clock = clock;
    }

    /** The agent's logger: stderr, and journal mode when the environment says stderr is the journal. */
    public static Log stderr(Format format, Level min, Map<String, String> env) {
        return new Log(System.err, format, min, env.containsKey("JOURNAL_STREAM"), Clock.systemUTC());
    }

    /** Parses {@code --log-format}; throws IllegalArgumentException naming the accepted values. */
    public static Format format(String text) {
        for (Format f : Format.values()) if (f.name().equalsIgnoreCase(text)) return f;
        throw new IllegalArgumentException("--log-format: expected logfmt or json, found \"" + text + "\"");
    }

    public boolean enabled(Level level) {
        return out != null && level.compareTo(min) >= 0;
    }

    public void debug(String msg, Object... kv) {
        log(Level.DEBUG, msg, kv);
    }

    public void info(String msg, Object... kv) {
        log(Level.INFO, msg, kv);
    }

    public void warn(String msg, Object... kv) {
        log(Level.WARN, msg, kv);
    }

    public void error(String msg, Object... kv) {
        log(Level.ERROR, msg, kv);
    }

    /** @param kv alternating keys and values; a missing last value is logged as an empty string */
    public void log(Level level, String msg, Object... kv) {
        if (!enabled(level)) return;
        out.print(line(level, msg, kv) + "\n");
        out.flush();
    }

    /** The line without its newline; public for tests. */
    public String line(Level level, String msg, Object... kv) {
        StringBuilder b = new StringBuilder(96);
        if (journal) b.append('<').append(level.syslog).append('>');
        Instant now = journal ? null : clock.instant().truncatedTo(ChronoUnit.MILLIS);
        if (format == Format.JSON) {
            b.append('{');
            if (now != null) jsonField(b, "time", now.toString()).append(',');
            jsonField(b, "level", level.name().toLowerCase(Locale.ROOT)).append(',');
            jsonField(b, "msg", msg);
            for (int i = 0; i < kv.length; i += 2) {
                b.append(',');
                Object v = i + 1 < kv.length ? kv[i + 1] : "";
                String key = key(kv[i]);
                if (v instanceof Number || v instanceof Boolean) {
                    jsonString(b, key).append(':').append(jsonNumber(v));
                } else {
                    jsonField(b, key, String.valueOf(v));
                }
            }
            b.append('}');
        } else {
            if (now != null) b.append("time=").append(now).append(' ');
            b.append("level=").append(level.name().toLowerCase(Locale.ROOT)).append(" msg=");
            logfmtValue(b, msg);
            for (int i = 0; i < kv.length; i += 2) {
                b.append(' ').append(key(kv[i])).append('=');
                logfmtValue(b, String.valueOf(i + 1 < kv.length ? kv[i + 1] : ""));
            }
        }
        return b.toString();
    }

    /** Keys are identifiers; anything else is replaced so a line always splits back into the same pairs. */
    private static String key(Object k) {
        String s = String.valueOf(k);
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c > ' ' && c < 127 && c != '=' && c != '"' ? c : '_');
        }
        return b.length() == 0 ? "_" : b.toString();
    }

    private static String jsonNumber(Object v) {
        if (v instanceof Double d && !Double.isFinite(d)) return "\"" + d + "\"";
        if (v instanceof Float f && !Float.isFinite(f)) return "\"" + f + "\"";
        return v.toString();
    }

    static void logfmtValue(StringBuilder b, String v) {
        boolean quote = v.isEmpty();
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 127;
        }
        if (!quote) {
            b.append(v);
            return;
        }
        b.append('"');
        escape(b, v);
        b.append('"');
    }

    private static StringBuilder jsonField(StringBuilder b, String k, String v) {
        jsonString(b, k).append(':');
        return jsonString(b, v);
    }

    private static StringBuilder jsonString(StringBuilder b, String s) {
        b.append('"');
        escape(b, s);
        return b.append('"');
    }

    /** JSON string escaping; logfmt uses the same, so a value never spans lines. */
    private static void escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
    }
}
