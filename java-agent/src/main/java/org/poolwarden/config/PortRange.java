package org.poolwarden.config;

/** An inclusive port range; a single port has {@code from == to}. Text form {@code 80} or {@code 8000-8100}. */
public record PortRange(int from, int to) {
    public static final int MIN = 1;
    public static final int MAX = 65535;

    public PortRange {
        if (from < MIN || to > MAX || from > to) {
            throw new IllegalArgumentException(from == to ? "port " + from + " is not within 1-65535"
                    : "port range " + from + "-" + to + " is not within 1-65535 with the low end first");
        }
    }

    /** Parses "80" or "8000-8100"; throws IllegalArgumentException with a message fit for a config error. */
    public static PortRange parse(String text) {
        String t = text.strip();
        int dash = t.indexOf('-');
        try {
            if (dash < 0) {
                int p = Integer.parseInt(t);
                return new PortRange(p, p);
            }
            return new PortRange(Integer.parseInt(t.substring(0, dash).strip()),
                    Integer.parseInt(t.substring(dash + 1).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a port (1-65535) or a range like 8000-8100");
        }
    }

    public boolean contains(int port) {
        return port >= from && port <= to;
    }

    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
