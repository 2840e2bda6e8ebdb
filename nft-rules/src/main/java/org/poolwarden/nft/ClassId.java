package org.poolwarden.nft;

/**
 * An HTB class id {@code major:minor}. Both halves are hexadecimal, as in {@code tc} and in nftables'
 * {@code meta priority set 1:10} (which is class 0x1:0x10), so the same string means the same class everywhere.
 */
public record ClassId(int major, int minor) {
    public ClassId {
        if (major < 1 || major > 0xffff || minor < 1 || minor > 0xffff) {
            throw new IllegalArgumentException("class id " + Integer.toHexString(major) + ":"
                    + Integer.toHexString(minor) + " out of range (1..ffff:1..ffff)");
        }
    }

    /** Parses {@code "1:10"}; {@code field} names the input in the error. */
    public static ClassId parse(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new InvalidFlowConfigException(field, "missing class id (major:minor, hexadecimal)");
        }
        String t = text.strip();
        int colon = t.indexOf(':');
        if (colon <= 0 || colon == t.length() - 1 || t.indexOf(':', colon + 1) >= 0) {
            throw new InvalidFlowConfigException(field, quote(text) + " is not a class id (major:minor, hexadecimal)");
        }
        int major = hex(t.substring(0, colon), text, field);
        int minor = hex(t.substring(colon + 1), text, field);
        if (major < 1 || major > 0xffff || minor < 1 || minor > 0xffff) {
            throw new InvalidFlowConfigException(field, quote(text)
                    + " is out of range (major and minor must be 1..ffff; x:0 is the qdisc itself)");
        }
        return new ClassId(major, minor);
    }

    private static int hex(String part, String text, String field) {
        if (part.isEmpty() || part.length() > 4 || !part.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new InvalidFlowConfigException(field, quote(text) + " is not a class id (major:minor, hexadecimal)");
        }
        return Integer.parseInt(part, 16);
    }

    /** The 32-bit handle {@code major << 16 | minor}, as the kernel stores {@code skb->priority}. */
    public int handle() {
        return major << 16 | minor;
    }

    @Override
    public String toString() {
        return Integer.toHexString(major) + ":" + Integer.toHexString(minor);
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
