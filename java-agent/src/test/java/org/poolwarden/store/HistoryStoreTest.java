package org.poolwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryStoreTest {
    static final long T0 = 1_700_000_000_000L - 1_700_000_000_000L % 3_600_000L; // on an hour boundary
    static final long MIN = 60_000, HOUR = 3_600_000, DAY = 24 * HOUR;

    @TempDir
    Path tmp;

    @Test
    void walAndRollupsThatAgreeWithTheRawSamples() {
        try (HistoryStore s = HistoryStore.open(tmp.resolve("h.db"))) {
            assertEquals("wal", s.journalMode());
            // Two minutes of 2 s samples: values 0..59 in the first minute, 100..159 in the second.
            for (int i = 0; i < 60; i++) {
                s.write(T0 + i * 2000L, List.of(new Sample("web", "cpu.percent", i < 30 ? i : 100 + i - 30),
                        new Sample("db", "cpu.percent", 7)));
            }
            assertEquals(120, s.rows(Resolution.RAW));
            assertEquals(4, s.rows(Resolution.MINUTE));
            assertEquals(2, s.rows(Resolution.HOUR));
            List<HistoryStore.Point> m = s.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.MINUTE);
            assertEquals(List.of(new HistoryStore.Point(T0, 14.5, 0, 29, 30),
                    new HistoryStore.Point(T0 + MIN, 114.5, 100, 129, 30)), m);
            List<HistoryStore.Point> h = s.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.HOUR);
            assertEquals(List.of(new HistoryStore.Point(T0, 64.5, 0, 129, 60)), h);
            List<HistoryStore.Point> raw = s.query("web", "cpu.percent", T0 + 10_000, T0 + 16_000, Resolution.RAW);
            assertEquals(List.of(new HistoryStore.Point(T0 + 10_000, 5, 5, 5, 1),
                    new HistoryStore.Point(T0 + 12_000, 6, 6, 6, 1), new HistoryStore.Point(T0 + 14_000, 7, 7, 7, 1)),
                    raw);
            HistoryStore.Summary sum = s.summary("web", "cpu.percent", T0, T0 + HOUR, T0 + 2 * MIN);
            assertEquals(new HistoryStore.Summary(64.5, 0, 129, 60), sum);
            assertEquals(List.of(T0 + MIN), s.breaches("web", "cpu.percent", 100, T0, T0 + HOUR, T0 + 3 * DAY)
                    .stream().map(HistoryStore.Point::timeMillis).toList(), "at minute resolution");
            assertEquals(120, s.samplesWritten());
        }
    }

    @Test
    void rollupsAreWrittenOncePerMinuteAndAReopenedStoreCountsEverySampleOnce() {
        Path file = tmp.resolve("m.db");
        try (HistoryStore s = HistoryStore.open(file)) {
            for (int i = 0; i < 45; i++) s.write(T0 + i * 2000L, List.of(new Sample("web", "cpu.percent", i)));
            assertEquals(1, s.rollupFlushes(), "minute 0 was written when minute 1 began; minute 1 is pending");
            assertEquals(45, s.rows(Resolution.RAW));
        } // close flushes minute 1
        try (HistoryStore s = HistoryStore.open(file)) {
            assertEquals(false, s.recoveredRollups(), "a clean close left nothing to recover");
            for (int i = 45; i < 75; i++) s.write(T0 + i * 2000L, List.of(new Sample("web", "cpu.percent", i)));
            List<HistoryStore.Point> m = s.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.MINUTE);
            assertEquals(List.of(new HistoryStore.Point(T0, 14.5, 0, 29, 30),
                    new HistoryStore.Point(T0 + MIN, 44.5, 30, 59, 30),
                    new HistoryStore.Point(T0 + 2 * MIN, 67, 60, 74, 15)), m, "minute 1 written in two parts");
            assertEquals(List.of(new HistoryStore.Point(T0, 37, 0, 74, 75)),
                    s.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.HOUR));
        }
    }

    @Test
    void aBufferedStoreWritesEachMinuteOnceWhenItEnds() {
        Path file = tmp.resolve("b.db");
        try (HistoryStore w = HistoryStore.openBuffered(file); HistoryStore r = HistoryStore.open(file)) {
            for (int i = 0; i < 30; i++) w.write(T0 + i * 2000L, List.of(new Sample("web", "cpu.percent", i)));
            assertEquals(0, r.rows(Resolution.RAW), "minute 0 is still in memory");
            assertEquals(0, w.batches());
            w.write(T0 + MIN, List.of(new Sample("web", "cpu.percent", 100)));
            assertEquals(30, r.rows(Resolution.RAW), "minute 0 written when minute 1 began, in one transaction");
            assertEquals(List.of(new HistoryStore.Point(T0, 14.5, 0, 29, 30)),
                    r.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.MINUTE));
            assertEquals(1, w.batches());
            // The writer's own queries see everything (they write what is pending first).
            assertEquals(31, w.query("web", "cpu.percent", T0, T0 + HOUR, Resolution.RAW).size());
            assertEquals(31, r.rows(Resolution.RAW));
        }
    }

    @Test
    void aBufferedStoreKilledMidMinuteLosesAtMostThatMinuteAndStaysConsistent() throws Exception {
        Path db = tmp.resolve("crash-b.db");
        int written = killWriterAfter(db, "written ", "buffered");
        try (HistoryStore s = HistoryStore.open(db)) {
            assertEquals("ok", s.integrityCheck());
            long raw = s.rows(Resolution.RAW);
            assertEquals(0, raw % 3, "ticks are all or nothing");
            assertTrue(raw / 3 >= written - 31, raw / 3 + " ticks kept of " + written + ": more than a minute lost");
            List<HistoryStore.Point> minutes = s.query("app", "cpu", 0, Long.MAX_VALUE, Resolution.MINUTE);
            assertEquals(raw / 3, minutes.stream().mapToLong(HistoryStore.Point::n).sum(), "rollups = raw rows");
            List<HistoryStore.Point> hours = s.query("app", "cpu", 0, Long.MAX_VALUE, Resolution.HOUR);
            assertEquals(raw / 3, hours.stream().mapToLong(HistoryStore.Point::n).sum());
        }
    }

    @Test
    void eachResolutionIsPrunedAtItsRetention() {
        try (HistoryStore s = HistoryStore.open(tmp.resolve("p.db"))) {
            s.write(T0, List.of(new Sample("a", "m", 1)));
            s.write(T0 + HOUR + 2 * MIN, List.of(new Sample("a", "m", 2)));
            assertEquals(1, s.rows(Resolution.RAW), "raw older than 1 h is gone");
            assertEquals(2, s.rows(Resolution.MINUTE));
            s.write(T0 + 7 * DAY + 3 * MIN, List.of(new Sample("a", "m", 3)));
            assertEquals(2, s.rows(Resolution.MINUTE), "the first minute is older than 7 days");
            assertEquals(3, s.rows(Resolution.HOUR));
            s.write(T0 + 366 * DAY, List.of(new Sample("a", "m", 4)));
            assertEquals(List.of(T0 + 7 * DAY, T0 + 366 * DAY), s.query("a", "m", 0, Long.MAX_VALUE, Resolution.HOUR)
                    .stream().map(HistoryStore.Point::timeMillis).toList(), "hours older than a year are gone");
        }
    }

    @Test
    void queriesUseTheFinestResolutionThatCoversTheRange() {
        long now = T0 + 30 * DAY;
        assertEquals(Resolution.RAW, Resolution.finestCovering(now - 10 * MIN, now));
        assertEquals(Resolution.MINUTE, Resolution.finestCovering(now - 2 * HOUR, now));
        assertEquals(Resolution.HOUR, Resolution.finestCovering(now - 8 * DAY, now));
        assertEquals(Resolution.HOUR, Resolution.finestCovering(now - 400 * DAY, now));
    }

    @Test
    void survivesKillMinus9MidWriteWithEveryCommittedBatch() throws Exception {
        Path db = tmp.resolve("crash.db");
        int committed = killWriterAfter(db, "committed ");
        try (HistoryStore s = HistoryStore.open(db)) {
            assertEquals("ok", s.integrityCheck());
            long raw = s.rows(Resolution.RAW);
            assertTrue(raw >= 3L * committed, raw + " raw rows for " + committed + " committed batches");
            assertEquals(0, raw % 3, "batches are all or nothing");
            // The rollups were written in the same transactions: they count exactly the raw samples.
            List<HistoryStore.Point> hours = s.query("app", "cpu", 0, Long.MAX_VALUE, Resolution.HOUR);
            assertEquals(raw / 3, hours.stream().mapToLong(HistoryStore.Point::n).sum());
            List<HistoryStore.Point> minutes = s.query("app", "cpu", 0, Long.MAX_VALUE, Resolution.MINUTE);
            assertEquals(raw / 3, minutes.stream().mapToLong(HistoryStore.Point::n).sum());
            assertTrue(s.recoveredRollups(), "the minute the kill cut short was folded in from the raw rows");
            assertNotNull(s.summary("host", "cpu", 1_700_000_000_000L, Long.MAX_VALUE, 1_700_000_000_000L + HOUR));
            s.write(1_700_000_000_000L + HOUR, List.of(new Sample("app", "cpu", 1)));
        }
    }

    /**
     * Runs {@link CrashWriter} on {@code db} in a child JVM, reads its progress lines ({@code prefix} and a count)
     * until the count reaches 200, then kills it (SIGKILL on Linux: no shutdown hooks, no close); returns the count.
     */
    private static int killWriterAfter(Path db, String prefix, String... mode) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), db.toString()));
        cmd.addAll(List.of(mode));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        int count = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(prefix)) count = Integer.parseInt(line.substring(prefix.length()));
                if (count >= 200) break;
            }
            assertTrue(count >= 200, "child stopped early; last line: " + line);
            p.destroyForcibly();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        return count;
    }
}
