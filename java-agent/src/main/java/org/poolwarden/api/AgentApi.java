package org.poolwarden.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig.Mode;

/**
 * What the outside world (HTTP API, CLI, /metrics) may ask a running agent. Every answer is an immutable record, so
 * an implementation can hand out snapshots without locking. The control loop implements it for real; {@link
 * FakeAgentApi} keeps the same contract in memory for tests.
 *
 * <p>Methods are cheap and never block on the kernel: they read the last sample. {@link #history} is the exception
 * (it reads the store). All are called on the API's own thread, one call at a time, never on the control thread: an
 * implementation hands out the snapshot the control loop last published (a volatile reference to immutable
 * records) and passes changes (policy, mode, reload) to the loop, waiting for its answer.
 */
public interface AgentApi {

    Status status();

    /** Every configured app, in config order, with its instance on this host when it has processes. */
    List<AppView> apps();

    /** @throws UnknownAppException if no app has that name */
    AppView app(String name);

    /** The app's policy; null when the app is only monitored. @throws UnknownAppException */
    Policy policy(String app);

    /**
     * Replaces the app's policy (null: monitor only) if it is valid for this host's pipes; otherwise changes nothing
     * and returns the errors. The change lasts until the next config reload.
     *
     * @throws UnknownAppException
     */
    PolicyResult setPolicy(String app, Policy policy);

    /**
     * Applies {@code key=value} edits ({@link PolicyEdits}) to the current policy in one step. The default reads,
     * edits and sets; an implementation whose policy can change concurrently must override it to do so atomically.
     *
     * @throws UnknownAppException
     */
    default PolicyResult editPolicy(String app, Map<String, String> edits) {
        PolicyEdits.Result r = PolicyEdits.apply(policy(app), edits);
        if (!r.errors().isEmpty()) return PolicyResult.rejected(app, policy(app), r.errors());
        return setPolicy(app, r.policy());
    }

    /** Samples of one app from the store, oldest first, at the finest resolution kept for that age. */
    History history(String app, Instant since);

    /** Switches monitor ↔ enforce; switching to monitor removes enforcement. Idempotent. */
    ModeChange setMode(Mode mode);

    /**
     * Reads the config again. Atomic: an invalid config is rejected with all its errors and the running one stays.
     */
    ReloadResult reload();

    /** A problem with one field of a request, e.g. {@code cpu.weight: must be from 1 to 10000, found 0}. */
    record FieldError(String field, String message) {
        @Override
        public String toString() {
            return field.isEmpty() ? message : field + ": " + message;
        }
    }
}
