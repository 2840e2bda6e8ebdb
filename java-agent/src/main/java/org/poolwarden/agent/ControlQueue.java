package org.poolwarden.agent;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hands work from other threads (API, signals) to the control thread: a submitted task runs inside the next fast
 * tick, between the agent's own steps, so it never runs concurrently with a tick and sees a consistent agent. The
 * submitter is woken with the result.
 *
 * <p>{@link Agent} applies config and mode changes at the start of a tick; {@link #barrier()} waits until one more
 * tick has started, i.e. until such a change is in effect.
 */
public final class ControlQueue implements TickListener {
    /** Waits longer than this mean the control loop is stuck or stopped; the caller gets an error, not a hang. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 10_000;

    private record Task<T>(Callable<T> work, CompletableFuture<T> done) {
        void run() {
            try {
                done.complete(work.call());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }
    }

    private final ConcurrentLinkedQueue<Task<?>> tasks = new ConcurrentLinkedQueue<>();
    private final Runnable wake;
    private final long timeoutMillis;
    private volatile boolean closed;
    private volatile long executed;

    /** @param wake makes the control loop tick now rather than at its next deadline (AgentRunner::wake) */
    public ControlQueue(Runnable wake, long timeoutMillis) {
        this.wake = wake;
        this.timeoutMillis = timeoutMillis;
    }

    /** Runs {@code work} on the control thread and returns its result. */
    public <T> T call(Callable<T> work) {
        if (closed) throw new IllegalStateException("the agent is stopping");
        Task<T> t = new Task<>(work, new CompletableFuture<>());
        tasks.add(t);
        wake.run();
        try {
            return t.done().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (TimeoutException e) {
            tasks.remove(t);
            throw new IllegalStateException("the control loop did not answer within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the control loop");
        }
    }

    /** Returns once a tick has started after this call: config and mode changes requested before are in effect. */
    public void barrier() {
        call(() -> null);
    }

    @Override
    public void onFastTick(long nowNanos) {
        // Only the tasks queued before this tick: one submitted while these run (a barrier) must wait for the next.
        int n = tasks.size();
        for (int i = 0; i < n; i++) {
            Task<?> t = tasks.poll();
            if (t == null) break;
            executed++;
            t.run();
        }
        if (n > 0) {
            // A task may have requested a change that Agent applies at the start of a tick: tick again at once.
            wake.run();
        }
    }

    /** Fails every waiting and later caller (the loop is stopping and will not run them). */
    public void close() {
        closed = true;
        Task<?> t;
        while ((t = tasks.poll()) != null) t.done().completeExceptionally(new IllegalStateException("the agent is stopping"));
    }

    public long executed() {
        return executed;
    }
}
