package org.poolwarden.detect;

import java.util.ArrayDeque;
import java.util.Deque;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;

/** In-memory {@link ProcessEvents} for tests: events are queued by hand, and an overrun can be simulated. */
public final class FakeProcessEvents implements ProcessEvents {
    private final Deque<ProcEvent> queue = new ArrayDeque<>();
    private boolean overrun;
    private boolean closed;
    private long drains;

    public void emit(ProcEvent e) {
        queue.add(e);
    }

    /** The next drain reports lost events (what ENOBUFS means on the real socket); queued events still come. */
    public void overrun() {
        overrun = true;
    }

    @Override
    public void drainInto(ProcChanges into) {
        drains++;
        if (overrun) into.markLost();
        overrun = false;
        while (!queue.isEmpty()) into.add(queue.poll());
    }

    public long drains() {
        return drains;
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }
}
