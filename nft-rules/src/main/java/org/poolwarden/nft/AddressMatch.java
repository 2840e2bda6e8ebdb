package org.poolwarden.nft;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address with a mask: {@code 10.0.0.0/8}, {@code 192.0.2.7}, {@code 2001:db8::/32}. Only literals are accepted
 * (never a host name: parsing must not do DNS). Host bits under the mask are cleared, as nftables does.
 */
public record AddressMatch(int family, Interval range) {
    public AddressMatch {
        if (family != 4 && family != 6) {
            throw new IllegalArgumentException("family " + family);
        }
    }

    public int bits() {
        return family == 4 ? 32 : 128;
    }

    public static AddressMatch parse(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new InvalidFlowConfigException(field, "missing address");
        }
        String t = text.strip();
        String addr = t;
        int len = -1;
        int slash = t.indexOf('/');
        if (slash >= 0) {
            addr = t.substring(0, slash);
            String l = t.substring(slash + 1);
            if (l.isEmpty() || l.length() > 3 || !l.chars().allMatch(Character::isDigit)) {
                throw bad(text, field, "the mask is not a prefix length");
            }
            len = Integer.parseInt(l);
        }
        int family;
        BigInteger value;
        if (addr.indexOf(':') >= 0) {
            family = 6;
            value = parseV6(addr, text, field);
        } else {
            family = 4;
            value = parseV4(addr, text, field);
        }
        int bits = family == 4 ? 32 : 128;
        if (len < 0) {
            len = bits;
        }
        if (len > bits) {
            throw bad(text, field, "prefix length " + len + " is longer than " + bits);
        }
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - len).subtract(BigInteger.ONE);
        BigInteger lo = value.andNot(hostMask);
        return new AddressMatch(family, new Interval(lo, lo.or(hostMask)));
    }

    private static BigInteger parseV4(String addr, String text, String field) {
        String[] parts = addr.split("\\.", -1);
        if (parts.length != 4) {
            throw bad(text, field, "not an IPv4 or IPv6 address");
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw bad(text, field, "not an IPv4 or IPv6 address");
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                throw bad(text, field, "octet " + octet + " is above 255");
            }
            v = v << 8 | octet;
        }
        return BigInteger.valueOf(v);
    }

    private static BigInteger parseV6(String addr, String text, String field) {
        // Only hex digits, colons and dots (an embedded IPv4 tail) reach InetAddress, so it never resolves a name.
        if (!addr.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            throw bad(text, field, "not an IPv4 or IPv6 address");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(addr);
        } catch (UnknownHostException e) {
            throw bad(text, field, "not an IPv6 address");
        }
        if (!(a instanceof Inet6Address)) {
            throw bad(text, field, "an IPv4-mapped IPv6 address; write the IPv4 address");
        }
        return new BigInteger(1, a.getAddress());
    }

    private static InvalidFlowConfigException bad(String text, String field, String why) {
        return new InvalidFlowConfigException(field, ClassId.quote(text) + " is " + (why.startsWith("not") ? "" : "bad: ") + why);
    }
}
