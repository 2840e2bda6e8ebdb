package org.poolwarden.exchange.dissemination;

import java.util.Arrays;

/**
 * The eager-push tree of one entry version: the origin at the root, every other active member once, {@code k}
 * children per node. Every host computes it alone from what it already has (its sorted member list, the entry's
 * origin and version), so no tree state is kept or exchanged: with equal member lists all hosts agree and each
 * receives the entry exactly once; where lists differ (a join or a death not yet everywhere) a host may get it twice
 * or not at all, and lazy push repairs that.
 *
 * <p>Shape: the members are laid out by an affine permutation of their ranks, {@code pos = rank * a + b mod n}, with
 * {@code a} (coprime to n) and {@code b} taken from a hash of the version's {@value #WINDOW_MICROS} µs window, and
 * the origin swaps places with whoever holds position 0. So every entry published in one window uses the same tree
 * (up to that swap): a host relays the window's entries to the same few children, in few packets (per-version trees
 * sent each relayed entry in a packet of its own, ~120 packets/s per host at 128 hosts x 1 update/s), and from one
 * window to the next the relaying work and the subtree a dead or paused host cuts off move to other hosts. An origin
 * missing from the list gets positions by a per-version permutation of the rest instead.
 * Pure arithmetic: no I/O, no clock.
 */
public final class EntryTree {
    /** Entries published within one window share a tree: ~4 LAN ticks, so ~1-2 trees are in flight at a time. */
    public static final long WINDOW_MICROS = 200_000;

    private final long[] ring;
    private final int k;
    private final long origin;
    private final int originIndex; // index of the origin in ring, or -1
    private final int m;           // members below the root
    private final int n;           // size of the permutation's domain (ring.length if the origin is listed, else m)
    private final int r0;          // unlisted origin: rank (among the m) the permutation starts at
    private final long a;
    private final long aInv;
    private final long b;
    private final int rootIndex;   // listed origin: the ring index the window's permutation puts at position 0

    /**
     * @param sortedIds active member ids in ascending order (any superset or subset of the origin's view works;
     *                  the origin may be missing from it)
     */
    public EntryTree(long[] sortedIds, long origin, int versionLow, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("tree fanout must be >= 1, got " + k);
        }
        this.ring = sortedIds;
        this.k = k;
        this.origin = origin;
        int at = Arrays.binarySearch(sortedIds, origin);
        this.originIndex = at >= 0 ? at : -1;
        this.m = sortedIds.length - (at >= 0 ? 1 : 0);
        this.n = at >= 0 ? sortedIds.length : m;
        // members below the origin in id order are ranks 0..r0-1: the same count whether the origin is listed or not
        this.r0 = at >= 0 ? at : -at - 1;
        long h = at >= 0
                ? mix(((versionLow & 0xffffffffL) / WINDOW_MICROS) * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L)
                : mix(origin * 0x9E3779B97F4A7C15L ^ (versionLow & 0xffffffffL));
        if (n <= 1) {
            this.a = 1;
            this.aInv = 0;
            this.b = 0;
        } else {
            long x = 1 + Math.floorMod(h, (long) n);
            while (gcd(x, n) != 1) {
                x = x % n + 1;
            }
            this.a = x;
            this.aInv = java.math.BigInteger.valueOf(x).modInverse(java.math.BigInteger.valueOf(n)).longValue();
            this.b = Math.floorMod(mix(h), (long) n);
        }
        this.rootIndex = at >= 0 ? (int) Math.floorMod(-b * aInv, (long) n) : -1;
    }

    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static long gcd(long x, long y) {
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return x;
    }

    /** Hosts below the root. */
    public int size() {
        return m;
    }

    /** Position of a host: 0 for the origin, 1..size() for listed hosts, -1 for a host not in the list. */
    public int position(long id) {
        if (id == origin) {
            return 0;
        }
        int idx = Arrays.binarySearch(ring, id);
        if (idx < 0) {
            return -1;
        }
        if (originIndex >= 0) {
            // the window's layout, with the origin and the window's root swapped
            int from = idx == rootIndex ? originIndex : idx;
            return (int) Math.floorMod(from * a + b, (long) n);
        }
        return 1 + (int) Math.floorMod((long) Math.floorMod(idx - r0, m) * a, (long) m);
    }

    /** The host at a position 1..size(). */
    public long idAt(int position) {
        if (originIndex >= 0) {
            int idx = (int) Math.floorMod((position - b) * aInv, (long) n);
            return ring[idx == originIndex ? rootIndex : idx];
        }
        int rank = (int) Math.floorMod(r0 + (long) (position - 1) * aInv, (long) m);
        return ring[rank];
    }

    /** Hops from the origin to a position (0 for the root). */
    public int depth(int position) {
        int d = 0;
        for (int p = position; p > 0; p = (p - 1) / k) {
            d++;
        }
        return d;
    }

    /** Ids {@code id} sends the entry to; empty for a leaf or a host not in the tree. */
    public long[] children(long id) {
        int p = position(id);
        if (p < 0) {
            return new long[0];
        }
        long first = (long) k * p + 1;
        int count = (int) Math.max(0, Math.min(k, m - first + 1));
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = idAt((int) first + i);
        }
        return out;
    }

    /** The host {@code id} receives the entry from (the origin for depth 1), or -1 if none. */
    public long parentOf(long id) {
        int p = position(id);
        if (p <= 0) {
            return -1;
        }
        int parent = (p - 1) / k;
        return parent == 0 ? origin : idAt(parent);
    }
}
