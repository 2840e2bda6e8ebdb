package org.poolwarden.nft;

import java.math.BigInteger;

/** A closed interval of unsigned integers: one field of a set element key (an address range, a port range...). */
public record Interval(BigInteger lo, BigInteger hi) {
    public Interval {
        if (lo.signum() < 0 || lo.compareTo(hi) > 0) {
            throw new IllegalArgumentException("bad interval " + lo + "-" + hi);
        }
    }

    public static Interval point(long v) {
        BigInteger b = BigInteger.valueOf(v);
        return new Interval(b, b);
    }

    public static Interval of(long lo, long hi) {
        return new Interval(BigInteger.valueOf(lo), BigInteger.valueOf(hi));
    }

    public boolean isPoint() {
        return lo.equals(hi);
    }

    public boolean overlaps(Interval o) {
        return lo.compareTo(o.hi) <= 0 && o.lo.compareTo(hi) <= 0;
    }

    /** The prefix length if this interval is exactly one CIDR block of a {@code bits}-wide field, else -1. */
    public int prefixLength(int bits) {
        BigInteger size = hi.subtract(lo).add(BigInteger.ONE);
        if (size.bitCount() != 1) {
            return -1;
        }
        int hostBits = size.bitLength() - 1;
        if (lo.getLowestSetBit() >= 0 && lo.getLowestSetBit() < hostBits) {
            return -1;
        }
        return bits - hostBits;
    }
}
