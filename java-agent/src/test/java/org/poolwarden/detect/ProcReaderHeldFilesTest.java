package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stat files held open on this host's real /proc: re-reads are fresh, and an exited process is never read again. */
class ProcReaderHeldFilesTest {
    @Test
    void aHeldStatFileIsReReadFreshAndFailsOnceItsProcessIsGone() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try (ProcReader r = new ProcReader(Path.of("/proc"), true)) {
            int pid = (int) child.pid();
            ProcStat first = r.stat(pid);
            assertNotNull(first);
            assertEquals(1, r.heldFiles());
            assertEquals(0, r.heldReads());
            assertEquals(first.startTime(), r.stat(pid).startTime());
            assertEquals(1, r.heldReads(), "the second read is a pread on the open file");

            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            assertNull(r.stat(pid), "gone (reaped): the held file fails and the pid is not there");
            assertEquals(0, r.heldFiles(), "its file is closed");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void theCpuTimeThroughAHeldFileGrowsAsTheProcessRuns() {
        int self = (int) ProcessHandle.current().pid();
        try (ProcReader r = new ProcReader(Path.of("/proc"), true)) {
            long before = r.stat(self).cpuTicks();
            long end = System.nanoTime() + 3_000_000_000L;
            long x = 0;
            // Burn CPU until the kernel has counted some more ticks (or give up after 3 s of wall time).
            while (r.stat(self).cpuTicks() <= before + 5 && System.nanoTime() < end) {
                for (int i = 0; i < 1_000_000; i++) x += i ^ (x << 1);
            }
            assertTrue(r.stat(self).cpuTicks() > before + 5, "no fresh CPU time through the held file " + x);
            assertTrue(r.heldReads() > 0);
        }
    }

    @Test
    void aFakeTreeIsNeverHeldOpen() {
        ProcReader r = new ProcReader(Path.of("/proc"));
        assertNotNull(r.stat((int) ProcessHandle.current().pid()));
        assertEquals(0, r.heldFiles());
    }
}
