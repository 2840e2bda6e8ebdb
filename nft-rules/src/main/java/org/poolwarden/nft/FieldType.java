package org.poolwarden.nft;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/** The nftables data types our set keys are made of, with their text rendering and their JSON parsing. */
public enum FieldType {
    PROTO("inet_proto", 8), IPV4("ipv4_addr", 32), IPV6("ipv6_addr", 128), PORT("inet_service", 16), MARK("mark", 32);

    private final String nftName;
    private final int bits;

    FieldType(String nftName, int bits) {
        this.nftName = nftName;
        this.bits = bits;
    }

    public String nftName() {
        return nftName;
    }

    public static FieldType byNftName(String name) {
        for (FieldType t : values()) {
            if (t.nftName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The nftables text for one key field: a value, a prefix or a range. */
    public String format(Interval v) {
        return switch (this) {
            case PROTO -> proto(v);
            case PORT -> v.isPoint() ? v.lo().toString() : v.lo() + "-" + v.hi();
            case MARK -> String.format("0x%08x", v.lo().longValue());
            case IPV4, IPV6 -> {
                if (v.isPoint()) {
                    yield address(v.lo());
                }
                int len = v.prefixLength(bits);
                yield len >= 0 ? address(v.lo()) + "/" + len : address(v.lo()) + "-" + address(v.hi());
            }
        };
    }

    private static String proto(Interval v) {
        if (!v.isPoint()) {
            return v.lo() + "-" + v.hi();
        }
        int p = v.lo().intValue();
        return p == 6 ? "tcp" : p == 17 ? "udp" : Integer.toString(p);
    }

    private String address(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[bits / 8];
        int n = Math.min(raw.length, out.length);
        System.arraycopy(raw, raw.length - n, out, out.length - n, n);
        try {
            String s = InetAddress.getByAddress(out).getHostAddress();
            return this == IPV6 ? compress(s) : s;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Java prints 2001:db8:0:0:0:0:0:1; nftables accepts it, but the short form reads better in batches. */
    static String compress(String full) {
        String[] g = full.split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; ) {
            if (!g[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestStart + bestLen, g.length));
        return head + "::" + tail;
    }

    /** Parses one key field as nftables' JSON prints it: a value, {@code {"prefix":..}} or {@code {"range":..}}. */
    public Interval parse(JsonNode n) {
        if (n.has("prefix")) {
            JsonNode p = n.get("prefix");
            AddressMatch a = AddressMatch.parse(p.get("addr").asText() + "/" + p.get("len").asInt(), "kernel " + nftName);
            return a.range();
        }
        if (n.has("range")) {
            Interval lo = parse(n.get("range").get(0));
            Interval hi = parse(n.get("range").get(1));
            return new Interval(lo.lo(), hi.hi());
        }
        return switch (this) {
            case PROTO -> Interval.point(n.isNumber() ? n.asLong() : protoNumber(n.asText()));
            case PORT -> Interval.point(n.asLong());
            case MARK -> Interval.point(n.isNumber() ? n.asLong() : Long.decode(n.asText()));
            case IPV4, IPV6 -> AddressMatch.parse(n.asText(), "kernel " + nftName).range();
        };
    }

    private static long protoNumber(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "tcp" -> 6;
            case "udp" -> 17;
            case "icmp" -> 1;
            case "icmpv6", "ipv6-icmp" -> 58;
            case "sctp" -> 132;
            default -> Long.parseLong(s);
        };
    }
}
