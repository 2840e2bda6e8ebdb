package org.poolwarden.pool.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PolicySetTest {

    @Test
    void highestVersionWinsThenHighestOrigin() {
        PolicySet s = PolicySet.of(List.of(
                VersionedPolicy.set("cpu/web", 3, "h1", "{\"pct\":30}"),
                VersionedPolicy.set("cpu/web", 2, "h9", "{\"pct\":50}"),
                VersionedPolicy.set("cpu/web", 3, "h2", "{\"pct\":20}")));
        assertEquals("{\"pct\":20}", s.get("cpu/web").orElseThrow().body());
    }

    @Test
    void deletionIsATombstoneThatOldCopiesCannotUndo() {
        PolicySet s = PolicySet.empty().with(VersionedPolicy.set("cpu/web", 1, "h1", "a"));
        s = s.with(s.nextDeletion("cpu/web", "h2"));
        s = s.with(VersionedPolicy.set("cpu/web", 1, "h1", "a"));
        assertTrue(s.get("cpu/web").isEmpty());
        assertEquals(1, s.size());
        s = s.with(s.nextVersion("cpu/web", "h3", "b"));
        assertEquals("b", s.get("cpu/web").orElseThrow().body());
        assertEquals(3, s.get("cpu/web").orElseThrow().version());
    }

    @Test
    void newerThanIsWhatThePeerNeeds() {
        PolicySet mine = PolicySet.of(List.of(VersionedPolicy.set("a", 2, "h1", "x"),
                VersionedPolicy.set("b", 1, "h1", "y")));
        PolicySet theirs = PolicySet.of(List.of(VersionedPolicy.set("a", 2, "h1", "x"),
                VersionedPolicy.set("b", 5, "h2", "z")));
        assertTrue(mine.newerThan(theirs).isEmpty());
        assertEquals(List.of(VersionedPolicy.set("b", 5, "h2", "z")), theirs.newerThan(mine));
        assertEquals(PolicySet.merge(mine, theirs), mine.with(theirs.newerThan(mine).get(0)));
        assertNotEquals(mine.digest(), theirs.digest());
        assertEquals(PolicySet.merge(mine, theirs).digest(), PolicySet.merge(theirs, mine).digest());
    }

    @Test
    void badCopiesAreRejectedWithTheirKey() {
        assertEquals("policy cpu/web: version=-1 must be >= 0", assertThrows(IllegalArgumentException.class,
                () -> VersionedPolicy.set("cpu/web", -1, "h1", "x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> VersionedPolicy.set("", 1, "h1", "x"));
        assertThrows(IllegalArgumentException.class, () -> VersionedPolicy.set("k", 1, " ", "x"));
    }

    @Provide
    Arbitrary<VersionedPolicy> copies() {
        // Small domains so that keys, versions and even (version, origin) pairs collide often.
        return Combinators.combine(
                Arbitraries.of("cpu/a", "cpu/b", "pipe/wan/a"),
                Arbitraries.longs().between(0, 4),
                Arbitraries.of("h1", "h2", "h3"),
                Arbitraries.of("x", "y", "z"),
                Arbitraries.of(false, false, true))
                .as((k, v, o, b, d) -> new VersionedPolicy(k, v, o, d ? "" : b, d));
    }

    @Provide
    Arbitrary<List<VersionedPolicy>> updates() {
        return copies().list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<PolicySet> sets() {
        return copies().list().ofMaxSize(8).map(PolicySet::of);
    }

    @Property
    void mergeIsCommutative(@ForAll("sets") PolicySet a, @ForAll("sets") PolicySet b) {
        assertEquals(PolicySet.merge(a, b), PolicySet.merge(b, a));
    }

    @Property
    void mergeIsAssociative(@ForAll("sets") PolicySet a, @ForAll("sets") PolicySet b, @ForAll("sets") PolicySet c) {
        assertEquals(PolicySet.merge(PolicySet.merge(a, b), c), PolicySet.merge(a, PolicySet.merge(b, c)));
    }

    @Property
    void mergeIsIdempotent(@ForAll("sets") PolicySet a, @ForAll("sets") PolicySet b) {
        assertEquals(a, PolicySet.merge(a, a));
        PolicySet ab = PolicySet.merge(a, b);
        assertEquals(ab, PolicySet.merge(ab, b));
    }

    @Property
    void mergeOnlyKeepsCopiesThatWereSeenAndTheWinnerOfEachKey(@ForAll("sets") PolicySet a,
                                                              @ForAll("sets") PolicySet b) {
        PolicySet m = PolicySet.merge(a, b);
        for (VersionedPolicy p : m.entries()) {
            assertTrue(a.entries().contains(p) || b.entries().contains(p));
            for (VersionedPolicy q : a.entries()) {
                if (q.key().equals(p.key())) {
                    assertTrue(!q.supersedes(p));
                }
            }
        }
    }

    @Property
    void hostsThatReceiveTheSameUpdatesInAnyOrderWithDuplicatesConverge(
            @ForAll("updates") List<VersionedPolicy> updates, @ForAll long seed) {
        Random r = new Random(seed);
        List<PolicySet> hosts = new ArrayList<>();
        for (int h = 0; h < 4; h++) {
            List<VersionedPolicy> mine = new ArrayList<>(updates);
            mine.addAll(updates.subList(0, updates.size() / 2)); // retransmissions
            Collections.shuffle(mine, r);
            hosts.add(PolicySet.of(mine));
        }
        for (PolicySet h : hosts) {
            assertEquals(hosts.get(0), h);
            assertEquals(hosts.get(0).digest(), h.digest());
        }
    }
}
