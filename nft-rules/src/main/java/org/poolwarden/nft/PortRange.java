package org.poolwarden.nft;

/** A port or an inclusive port range: {@code 80}, {@code 1000-2000}. */
public record PortRange(int from, int to) {
    public PortRange {
        if (from < 0 || to > 65535 || from > to) {
            throw new IllegalArgumentException("bad port range " + from + "-" + to);
        }
    }

    public static PortRange parse(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new InvalidFlowConfigException(field, "missing port");
        }
        String t = text.strip();
        int dash = t.indexOf('-');
        if (dash < 0) {
            int p = port(t, text, field);
            return new PortRange(p, p);
        }
        int from = port(t.substring(0, dash).strip(), text, field);
        int to = port(t.substring(dash + 1).strip(), text, field);
        if (from > to) {
            throw new InvalidFlowConfigException(field,
                    ClassId.quote(text) + " is a reversed port range (" + from + " > " + to + ")");
        }
        return new PortRange(from, to);
    }

    private static int port(String p, String text, String field) {
        if (p.isEmpty() || p.length() > 5 || !p.chars().allMatch(Character::isDigit)) {
            throw new InvalidFlowConfigException(field, ClassId.quote(text) + " is not a port or port range (0..65535)");
        }
        int v = Integer.parseInt(p);
        if (v > 65535) {
            throw new InvalidFlowConfigException(field, ClassId.quote(text) + " is not a port (0..65535)");
        }
        return v;
    }

    public Interval interval() {
        return Interval.of(from, to);
    }
}
