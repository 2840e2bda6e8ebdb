package org.poolwarden.config;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network: address/prefix, or address/dotted-mask as the seed's rules write it; a bare address is a
 * host (/32 or /128). Parsed without DNS: a name is an error, never a lookup.
 */
public record Cidr(byte[] address, int prefix) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    public Cidr {
        address = address.clone();
    }

    public static Cidr parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = parseAddress(addr);
        if (bytes == null) throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 or IPv6 address");
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (bytes.length == 4 && p.contains(".")) {
                byte[] mask = parseAddress(p);
                prefix = mask == null || mask.length != 4 ? -1 : maskToPrefix(mask);
                if (prefix < 0) throw new IllegalArgumentException("\"" + text + "\": \"" + p
                        + "\" is not a contiguous netmask");
            } else {
                try {
                    prefix = Integer.parseInt(p);
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bits) throw new IllegalArgumentException("\"" + text
                        + "\": prefix length must be 0-" + bits);
            }
        }
        if (!hostBitsZero(bytes, prefix)) {
            throw new IllegalArgumentException("\"" + text + "\" has host bits set beyond /" + prefix
                    + " (did you mean " + format(network(bytes, prefix)) + "/" + prefix + "?)");
        }
        return new Cidr(bytes, prefix);
    }

    @Override
    public byte[] address() {
        return address.clone();
    }

    public boolean isIpv4() {
        return address.length == 4;
    }

    public boolean contains(byte[] other) {
        if (other.length != address.length) return false;
        return Arrays.equals(network(other, prefix), address);
    }

    static byte[] parseAddress(String s) {
        if (IPV4.matcher(s).matches()) {
            String[] parts = s.split("\\.");
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(parts[i]);
                if (v > 255) return null;
                b[i] = (byte) v;
            }
            return b;
        }
        if (s.contains(":") && IPV6.matcher(s).matches()) return parseIpv6(s);
        return null;
    }

    private static byte[] parseIpv6(String s) {
        int dbl = s.indexOf("::");
        if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return null;
        String head = dbl >= 0 ? s.substring(0, dbl) : s;
        String tail = dbl >= 0 ? s.substring(dbl + 2) : "";
        int[] h = groups(head);
        int[] t = groups(tail);
        if (h == null || t == null) return null;
        int total = h.length + t.length;
        if (dbl < 0 ? total != 8 : total > 7) return null;
        byte[] b = new byte[16];
        for (int i = 0; i < h.length; i++) {
            b[2 * i] = (byte) (h[i] >> 8);
            b[2 * i + 1] = (byte) h[i];
        }
        for (int i = 0; i < t.length; i++) {
            int j = 8 - t.length + i;
            b[2 * j] = (byte) (t[i] >> 8);
            b[2 * j + 1] = (byte) t[i];
        }
        return b;
    }

    private static int[] groups(String s) {
        if (s.isEmpty()) return new int[0];
        String[] parts = s.split(":", -1);
        int[] g = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 4) return null;
            try {
                g[i] = Integer.parseInt(parts[i], 16);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return g;
    }

    private static int maskToPrefix(byte[] mask) {
        long m = new BigInteger(1, mask).longValue();
        int prefix = Long.bitCount(m);
        long expected = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return m == expected ? prefix : -1;
    }

    private static byte[] network(byte[] a, int prefix) {
        byte[] n = a.clone();
        for (int i = 0; i < n.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            n[i] = (byte) (n[i] & (0xFF00 >> keep));
        }
        return n;
    }

    private static boolean hostBitsZero(byte[] a, int prefix) {
        return Arrays.equals(network(a, prefix), a);
    }

    private static String format(byte[] b) {
        if (b.length == 4) return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) sb.append(':');
            sb.append(Integer.toHexString(((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.address, address);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(address) + prefix;
    }

    @Override
    public String toString() {
        return format(address) + "/" + prefix;
    }
}
