package org.poolwarden.exchange.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SuspicionTest {
    static final long S = 1_000_000_000L;

    @Test
    void timeoutFallsFromMaxToMinAsConfirmationsArrive() {
        Suspicion s = new Suspicion(7, 0, 2 * S, 12 * S, 2);
        assertEquals(12 * S, s.deadlineNanos());
        assertFalse(s.confirm(7), "the originator does not confirm its own suspicion");
        assertTrue(s.confirm(8));
        long one = s.deadlineNanos();
        assertTrue(one < 12 * S && one > 2 * S, "one confirmation: between min and max");
        assertEquals((long) (12 * S - Math.log(2) / Math.log(3) * 10 * S), one);
        assertFalse(s.confirm(8), "the same confirmer twice counts once");
        assertTrue(s.confirm(9));
        assertEquals(2 * S, s.deadlineNanos());
        assertFalse(s.confirm(10), "beyond k nothing changes");
        s.extend(S);
        assertEquals(3 * S, s.deadlineNanos());
    }

    @Test
    void boundsFollowMemberlistWithAFloor() {
        long interval = 200_000_000L;
        // n = 128: 4 * log10(128) * 200 ms = 1.686 s
        assertEquals((long) (4 * Math.log10(128) * interval), Suspicion.minTimeoutNanos(4, 128, interval, 1_500_000_000L));
        // n = 16: 4 * 1.2 * 200 ms = 0.96 s, below the 1.5 s floor
        assertEquals(1_500_000_000L, Suspicion.minTimeoutNanos(4, 16, interval, 1_500_000_000L));
        // n = 3: log10 < 1, so scale 1
        assertEquals(4 * interval, Suspicion.minTimeoutNanos(4, 3, interval, 0));
        assertEquals(2, Suspicion.expectedConfirmations(4, 128));
        assertEquals(0, Suspicion.expectedConfirmations(4, 3), "too few members to confirm");
    }

    @Property
    void timeoutIsMonotoneAndBounded(@ForAll @IntRange(min = 0, max = 20) int k, @ForAll @IntRange(min = 0, max = 30) int c) {
        Suspicion s = new Suspicion(1, 0, 2 * S, 12 * S, k);
        long t = s.timeout(c);
        assertTrue(t >= 2 * S && t <= 12 * S);
        assertTrue(s.timeout(c + 1) <= t);
    }

    @Test
    void awarenessScalesAndClamps() {
        Awareness a = new Awareness(8);
        assertEquals(100, a.scale(100));
        a.apply(3);
        assertEquals(400, a.scale(100));
        a.apply(100);
        assertEquals(7, a.score());
        a.apply(-100);
        assertEquals(0, a.score());
    }
}
