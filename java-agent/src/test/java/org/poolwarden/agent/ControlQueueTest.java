package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlQueueTest {
    final ExecutorService control = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-control"));
    final AtomicInteger ticks = new AtomicInteger();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    ControlQueue queue;

    /** A wake-up runs one fast tick on the control thread, as AgentRunner does. */
    void wake() {
        control.execute(() -> {
            int n = ticks.incrementAndGet();
            log.add("tick " + n);
            queue.onFastTick(n);
        });
    }

    @AfterEach
    void tearDown() {
        control.shutdownNow();
    }

    @Test
    void aTaskRunsOnTheControlThreadAndItsResultOrErrorComesBack() {
        queue = new ControlQueue(this::wake, 5_000);
        assertEquals("test-control", queue.call(() -> Thread.currentThread().getName()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> queue.call(() -> {
            throw new IllegalArgumentException("bad");
        }));
        assertEquals("bad", e.getMessage());
        assertEquals(2, queue.executed());
    }

    @Test
    void aBarrierWaitsForALaterTick() {
        queue = new ControlQueue(this::wake, 5_000);
        int at = queue.call(ticks::get);
        int barrier = queue.call(ticks::get);
        assertTrue(barrier > at, "a task queued after another ran runs in a later tick: " + log);
    }

    @Test
    void withoutALoopTheCallerGetsAnErrorNotAHang() {
        queue = new ControlQueue(() -> {}, 30);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> queue.call(() -> 1));
        assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        queue.onFastTick(0);
        assertEquals(0, queue.executed(), "a timed-out task is withdrawn, never run late");
    }

    @Test
    void afterCloseCallsFail() {
        queue = new ControlQueue(this::wake, 5_000);
        queue.close();
        assertThrows(IllegalStateException.class, () -> queue.call(() -> 1));
    }
}
