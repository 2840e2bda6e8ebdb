package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.poolwarden.detect.Inventory;
import org.poolwarden.store.Sample;

class SampleTapTest {
    private static final Inventory INV = new Inventory("h", Map.of(), 0, 0);
    private static final long S = 1_000_000_000L;

    private final List<Sample> next = new ArrayList<>();
    private final SampleTap tap = new SampleTap((inv, now) -> List.copyOf(next));

    private void tick(long nanos, Sample... samples) {
        next.clear();
        next.addAll(List.of(samples));
        tap.sample(INV, nanos);
    }

    @Test
    void integratesRatesAndKeepsUnchangedSubjects() {
        tick(0, new Sample("a", "cpu.cores", 0.5), new Sample("idle", "cpu.cores", 0),
                new Sample("a", "pipe.up.out.bits_per_s", 800), new Sample("a", "pipe.up.out.packets_per_s", 10));
        SampleTap.Values idle0 = tap.latest().get("idle");
        assertEquals(Map.of("cpu.seconds", 0.0), idle0.totals()); // the first tick has no interval: totals start at 0
        tick(2 * S, new Sample("a", "cpu.cores", 0.5), new Sample("idle", "cpu.cores", 0),
                new Sample("a", "pipe.up.out.bits_per_s", 800), new Sample("a", "pipe.up.out.packets_per_s", 10));
        SampleTap.Values a = tap.latest().get("a");
        assertEquals(1.0, a.totals().get("cpu.seconds"), 1e-9);
        assertEquals(200.0, a.totals().get("pipe.up.out.bytes"), 1e-9);
        assertEquals(20.0, a.totals().get("pipe.up.out.packets"), 1e-9);
        assertEquals(0.5, a.get("cpu.cores"));
        // an idle subject whose values and totals did not change is the same object: nothing rebuilt for it
        assertSame(idle0, tap.latest().get("idle"));
        Map<String, SampleTap.Values> snap = tap.latest();
        tick(4 * S, new Sample("a", "cpu.cores", 0), new Sample("idle", "cpu.cores", 0),
                new Sample("a", "pipe.up.out.bits_per_s", 0), new Sample("a", "pipe.up.out.packets_per_s", 0));
        assertNotSame(snap, tap.latest(), "a changed: a new snapshot");
        SampleTap.Values a2 = tap.latest().get("a");
        tick(6 * S, new Sample("a", "cpu.cores", 0), new Sample("idle", "cpu.cores", 0),
                new Sample("a", "pipe.up.out.bits_per_s", 0), new Sample("a", "pipe.up.out.packets_per_s", 0));
        assertSame(a2, tap.latest().get("a"), "nothing changed: the same values");
        assertEquals(1.0, a2.totals().get("cpu.seconds"), 1e-9);
    }

    @Test
    void metricsAndSubjectsThatStopAreDropped() {
        tick(0, new Sample("a", "cpu.cores", 1), new Sample("a", "psi.some", 3), new Sample("b", "cpu.cores", 1));
        tick(S, new Sample("a", "cpu.cores", 1));
        assertEquals(Map.of("cpu.cores", 1.0), tap.latest().get("a").last());
        assertEquals(List.of("a"), List.copyOf(tap.latest().keySet()));
        // a subject that comes back keeps its totals (as before: they are kept per subject for the agent's life)
        tick(2 * S, new Sample("a", "cpu.cores", 1), new Sample("b", "cpu.cores", 1));
        assertEquals(2.0, tap.latest().get("a").totals().get("cpu.seconds"), 1e-9);
        assertEquals(1.0, tap.latest().get("b").totals().get("cpu.seconds"), 1e-9);
    }
}
