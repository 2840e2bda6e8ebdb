package org.poolwarden.exchange.dissemination;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class EntryTreeTest {

    static long[] randomRing(Random r, int n) {
        Set<Long> ids = new HashSet<>();
        while (ids.size() < n) {
            ids.add(r.nextBoolean() ? 1 + r.nextInt(5000) : r.nextLong());
        }
        return ids.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Walks the tree from the origin as the hosts would: every listed host reached exactly once. */
    @Property(tries = 400)
    void everyListedHostReceivesExactlyOnce(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                            @ForAll @IntRange(min = 1, max = 12) int k, @ForAll boolean originListed) {
        Random r = new Random(seed);
        long[] ring = randomRing(r, n);
        long origin = originListed ? ring[r.nextInt(n)] : r.nextLong();
        if (!originListed && Arrays.binarySearch(ring, origin) >= 0) {
            return;
        }
        EntryTree t = new EntryTree(ring, origin, r.nextInt(), k);
        Map<Long, Integer> received = new HashMap<>();
        java.util.ArrayDeque<long[]> queue = new java.util.ArrayDeque<>();
        queue.add(new long[] {origin, 0});
        int maxDepth = 0;
        while (!queue.isEmpty()) {
            long[] h = queue.poll();
            for (long c : t.children(h[0])) {
                received.merge(c, 1, Integer::sum);
                assertEquals(h[0], t.parentOf(c));
                assertEquals(h[1] + 1, t.depth(t.position(c)));
                maxDepth = Math.max(maxDepth, (int) h[1] + 1);
                queue.add(new long[] {c, h[1] + 1});
            }
        }
        int expected = originListed ? n - 1 : n;
        assertEquals(expected, t.size());
        assertEquals(expected, received.size(), "every host below the root reached");
        assertTrue(received.values().stream().allMatch(v -> v == 1), "no host twice");
        assertTrue(!received.containsKey(origin));
        // a complete k-ary tree: depth ceil(log_k) at most
        long covered = 1;
        long level = 1;
        int bound = 0;
        while (covered < expected + 1) {
            level *= k;
            covered += level;
            bound++;
            if (k == 1 && bound > expected) {
                break;
            }
        }
        assertTrue(maxDepth <= Math.max(bound, k == 1 ? expected : 0), "depth " + maxDepth + " > " + bound);
    }

    @Test
    void entriesOfOneWindowShareTheTreeSoRelaysGoToFewPeers() {
        long[] ring = randomRing(new Random(4), 128);
        Random r = new Random(9);
        // 128 origins publishing within one window: the (relay, child) pairs below the root nearly coincide
        Set<String> pairs = new HashSet<>();
        int sends = 0;
        for (long origin : ring) {
            EntryTree t = new EntryTree(ring, origin, 5 * (int) EntryTree.WINDOW_MICROS + r.nextInt(100_000), 8);
            for (long host : ring) {
                if (host == origin) {
                    continue;
                }
                for (long c : t.children(host)) {
                    pairs.add(host + ">" + c);
                    sends++;
                }
            }
        }
        assertTrue(sends > 100 * 120, "each entry relayed to most hosts: " + sends);
        // per-version trees would give ~14,000 distinct pairs; the shared layout a few hundred
        assertTrue(pairs.size() < 1000, "distinct relay pairs " + pairs.size());
    }

    @Test
    void versionsGetDifferentTreesAndEveryHostAgrees() {
        long[] ring = randomRing(new Random(3), 128);
        long origin = ring[17];
        Set<String> firstLevels = new HashSet<>();
        for (int w = 0; w < 50; w++) {
            int v = (int) (w * EntryTree.WINDOW_MICROS + 17);
            EntryTree a = new EntryTree(ring, origin, v, 8);
            EntryTree b = new EntryTree(ring.clone(), origin, v, 8);
            assertArrayEquals(a.children(origin), b.children(origin), "same inputs, same tree on every host");
            firstLevels.add(Arrays.toString(a.children(origin)));
        }
        assertTrue(firstLevels.size() >= 40, "trees vary by window: " + firstLevels.size() + " distinct of 50");
        assertEquals(-1, new EntryTree(ring, origin, 1, 8).position(-99L));
        assertEquals(0, new EntryTree(ring, origin, 1, 8).children(-99L).length);
    }
}
