package org.poolwarden.tc.filter;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

/**
 * A u32 selector over an IPv4 header without options, built the way iproute2's "match ip ..." builds it: 32-bit
 * keys at 4-byte aligned offsets, keys at the same offset merged. Values and masks are kept in host order here and
 * written in network order. Never matches on the packet mark (ignored by this kernel's u32).
 */
public final class U32Selector {
    /** One key: match {@code (word at off) & mask == value}. */
    public record Key(int value, int mask, int off) {
    }

    private final List<Key> keys = new ArrayList<>();

    public static U32Selector matchAll() {
        U32Selector s = new U32Selector();
        s.keys.add(new Key(0, 0, 0));
        return s;
    }

    /** A selector with exactly these keys (as decoded from the kernel or kept in a desired state). */
    public static U32Selector of(List<Key> keys) {
        U32Selector s = new U32Selector();
        s.keys.addAll(keys);
        return s;
    }

    public static U32Selector create() {
        return new U32Selector();
    }

    public List<Key> keys() {
        return List.copyOf(keys);
    }

    /** "match ip protocol N 0xff". */
    public U32Selector protocol(int proto) {
        return key8(proto, 0xff, 9);
    }

    /** "match ip src A/len". */
    public U32Selector src(Inet4Address addr, int prefixLength) {
        return key32(ipv4(addr), prefixMask(prefixLength), 12);
    }

    /** "match ip dst A/len". */
    public U32Selector dst(Inet4Address addr, int prefixLength) {
        return key32(ipv4(addr), prefixMask(prefixLength), 16);
    }

    /** "match ip sport P 0xffff" (the IP header must be 20 bytes, as iproute2 also assumes). */
    public U32Selector sport(int port, int mask) {
        return key16(port, mask, 20);
    }

    /** "match ip dport P 0xffff". */
    public U32Selector dport(int port, int mask) {
        return key16(port, mask, 22);
    }

    /** iproute2 pack_key8. */
    public U32Selector key8(int value, int mask, int off) {
        requireRange("u32 8-bit key", value, mask, 0xff);
        int shift = 24 - 8 * (off & 3);
        return pack(value << shift, mask << shift, off & ~3);
    }

    /** iproute2 pack_key16. */
    public U32Selector key16(int value, int mask, int off) {
        requireRange("u32 16-bit key", value, mask, 0xffff);
        if ((off & 1) != 0) {
            throw new IllegalArgumentException("u32 16-bit key at odd offset " + off);
        }
        int shift = (off & 3) == 0 ? 16 : 0;
        return pack(value << shift, mask << shift, off & ~3);
    }

    public U32Selector key32(int value, int mask, int off) {
        if ((off & 3) != 0) {
            throw new IllegalArgumentException("u32 32-bit key at unaligned offset " + off);
        }
        return pack(value, mask, off);
    }

    /** iproute2 pack_key: a key at an offset already used is merged into it. */
    private U32Selector pack(int value, int mask, int off) {
        int v = value & mask;
        for (int i = 0; i < keys.size(); i++) {
            Key k = keys.get(i);
            if (k.off() == off) {
                if (((k.value() ^ v) & k.mask() & mask) != 0) {
                    throw new IllegalArgumentException("u32 keys at offset " + off + " contradict each other");
                }
                keys.set(i, new Key(k.value() | v, k.mask() | mask, off));
                return this;
            }
        }
        if (keys.size() == 128) {
            throw new IllegalArgumentException("u32 selector has more than 128 keys");
        }
        keys.add(new Key(v, mask, off));
        return this;
    }

    static int ipv4(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    static int prefixMask(int len) {
        if (len < 0 || len > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0..32, got " + len);
        }
        return len == 0 ? 0 : (int) (0xFFFF_FFFFL << (32 - len));
    }

    private static void requireRange(String what, int value, int mask, int max) {
        if (value < 0 || value > max || mask < 0 || mask > max) {
            throw new IllegalArgumentException(what + ": value " + value + " / mask " + mask + " out of 0.." + max);
        }
    }
}
