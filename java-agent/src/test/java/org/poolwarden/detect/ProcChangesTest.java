package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.poolwarden.detect.ProcEventCodec.Kind;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;

class ProcChangesTest {
    /** event → {look at pid 200?, classify 200 again?}. */
    @Test
    void whatEachEventAsksOfTheDetector() {
        Object[][] table = {
                {new ProcEvent(Kind.FORK, 200, 200, 100, 100, 0, null), true, false},
                {new ProcEvent(Kind.FORK, 201, 200, 200, 200, 0, null), false, false}, // a new thread of 200
                {new ProcEvent(Kind.EXEC, 200, 200, 0, 0, 0, null), true, true},
                {new ProcEvent(Kind.UID, 200, 200, 0, 0, 33, null), true, true},
                {new ProcEvent(Kind.UID, 201, 200, 0, 0, 33, null), true, true}, // a thread's setuid: the process's
                {new ProcEvent(Kind.GID, 200, 200, 0, 0, 33, null), true, true},
                {new ProcEvent(Kind.SID, 200, 200, 0, 0, 0, null), true, true},
                {new ProcEvent(Kind.COMM, 200, 200, 0, 0, 0, "x"), true, true},
                {new ProcEvent(Kind.COMM, 201, 200, 0, 0, 0, "x"), false, false}, // a thread's name only
                {new ProcEvent(Kind.EXIT, 200, 200, 100, 100, 0, null), true, false},
                {new ProcEvent(Kind.EXIT, 201, 200, 200, 200, 0, null), true, false}, // maybe the last thread
                {new ProcEvent(Kind.NONZERO_EXIT, 200, 200, 100, 100, 1, null), true, false},
                {new ProcEvent(Kind.PTRACE, 200, 200, 300, 300, 0, null), false, false},
                {new ProcEvent(Kind.COREDUMP, 200, 200, 100, 100, 0, null), false, false},
                {new ProcEvent(Kind.ACK, 0, 0, 0, 0, 0, null), false, false},
        };
        for (Object[] row : table) {
            ProcChanges c = new ProcChanges();
            c.add((ProcEvent) row[0]);
            assertEquals(row[1], c.mustLook(200), "look: " + row[0]);
            assertEquals(row[2], c.mustReclassify(200), "reclassify: " + row[0]);
            assertEquals(false, c.mustLook(201), "never the thread id: " + row[0]);
            assertEquals(false, c.lost());
        }
    }

    @Test
    void clearForgetsEverythingButTheEventCount() {
        ProcChanges c = new ProcChanges();
        c.add(new ProcEvent(Kind.EXEC, 5, 5, 0, 0, 0, null));
        c.markLost();
        c.clear();
        assertEquals(false, c.mustLook(5));
        assertEquals(false, c.mustReclassify(5));
        assertEquals(false, c.lost());
        assertEquals(1, c.events());
    }
}
