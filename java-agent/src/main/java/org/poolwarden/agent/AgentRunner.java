package org.poolwarden.agent;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The one control thread: calls {@link Agent#tick(long)} with the clock's time and waits until the deadline it
 * returns. The clock and the wait are injected, so the loop itself is tested without sleeping.
 */
public final class AgentRunner implements Runnable {
    /** Waits until a deadline on the runner's clock, or until woken. */
    public interface Parker {
        void parkUntil(long deadlineNanos, long nowNanos);

        void wake(Thread t);

        /** The real one: LockSupport, woken by stop() and by requests that should not wait for the deadline. */
        Parker SYSTEM = new Parker() {
            @Override
            public void parkUntil(long deadlineNanos, long nowNanos) {
                LockSupport.parkNanos(this, deadlineNanos - nowNanos);
            }

            @Override
            public void wake(Thread t) {
                LockSupport.unpark(t);
            }
        };
    }

    private final Agent agent;
    private final LongSupplier nanoClock;
    private final Parker parker;
    private volatile boolean stopping;
    private volatile Thread thread;
    private volatile RuntimeException failure;

    public AgentRunner(Agent agent, LongSupplier nanoClock, Parker parker) {
        this.agent = agent;
        this.nanoClock = nanoClock;
        this.parker = parker;
    }

    public static AgentRunner system(Agent agent) {
        return new AgentRunner(agent, System::nanoTime, Parker.SYSTEM);
    }

    /** Starts the control thread (non-daemon: the agent lives as long as its loop). */
    public Thread start() {
        Thread t = new Thread(this, "poolwarden-control");
        thread = t;
        t.start();
        return t;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            while (!stopping) {
                long next = agent.tick(nanoClock.getAsLong());
                long now = nanoClock.getAsLong();
                // parkNanos may return early (spurious wake-up, wake()); the loop just ticks again and the agent
                // does nothing that is not due.
                if (next - now > 0 && !stopping) parker.parkUntil(next, now);
            }
        } catch (RuntimeException e) {
            failure = e; // Agent.tick catches per-tick errors; reaching here is a bug worth surfacing to the CLI
            throw e;
        }
    }

    /** Ends the loop after the current tick; also wakes it so a reload or mode change is picked up at once. */
    public void stop() {
        stopping = true;
        wake();
    }

    public void wake() {
        Thread t = thread;
        if (t != null) parker.wake(t);
    }

    public RuntimeException failure() {
        return failure;
    }
}
