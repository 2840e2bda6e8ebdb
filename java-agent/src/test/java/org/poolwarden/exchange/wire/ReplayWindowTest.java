package org.poolwarden.exchange.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {

    private static boolean offer(ReplayWindow w, long sender, long seq) {
        if (!w.isFresh(sender, seq)) {
            return false;
        }
        w.record(sender, seq);
        return true;
    }

    @Test
    void acceptsEachSequenceOnceAndOutOfOrderWithinTheWindow() {
        ReplayWindow w = new ReplayWindow(10);
        assertTrue(offer(w, 1, 100));
        assertFalse(offer(w, 1, 100), "exact replay");
        assertTrue(offer(w, 1, 98), "late but inside the window");
        assertFalse(offer(w, 1, 98));
        assertTrue(offer(w, 1, 101));
        assertTrue(offer(w, 1, 101 - 63));
        assertFalse(offer(w, 1, 101 - 64), "older than the window");
        assertTrue(offer(w, 2, 5), "other senders have their own window");
        assertTrue(offer(w, 1, 1_000_000));
        assertFalse(offer(w, 1, 101));
    }

    @Test
    void capsTheNumberOfSenders() {
        ReplayWindow w = new ReplayWindow(3);
        for (long s = 0; s < 10; s++) {
            offer(w, s, 1);
        }
        assertEquals(3, w.size());
    }

    /** Against a model that remembers everything: never accepts a duplicate, never rejects a fresh in-window one. */
    @Property(tries = 200)
    void matchesAnExactModel(@ForAll long seed) {
        Random r = new Random(seed);
        ReplayWindow w = new ReplayWindow(100);
        Set<Long> seen = new HashSet<>();
        long highest = -1;
        for (int i = 0; i < 500; i++) {
            long seq = Math.max(0, highest + r.nextInt(80) - 70);
            boolean expected = !seen.contains(seq) && (highest < 0 || seq > highest - ReplayWindow.WINDOW);
            assertEquals(expected, offer(w, 7, seq), "seq " + seq + " highest " + highest);
            if (expected) {
                seen.add(seq);
                highest = Math.max(highest, seq);
            }
        }
    }
}
