package org.poolwarden.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.detect.Inventory;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.detect.ScanResult;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.InsufficientResources;
import org.poolwarden.policy.PolicyCalculator;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.store.HistoryStore;
import org.poolwarden.store.Sample;

/**
 * The per-host control loop, driven by deadlines: {@link #tick(long)} does whatever is due at {@code nowNanos} and
 * returns the next deadline. Nothing in here reads a clock or sleeps, so tests and simulations drive it with any time
 * they like; a runner thread calls it with System.nanoTime() and parks until the returned deadline.
 *
 * <ul>
 *   <li>fast tick (default 50 ms): the listeners' fast work (exchange, pipe shares);</li>
 *   <li>slow tick (default 2 s): detection, policy plan, enforcement (enforce mode only), sampling into the store,
 *       the listeners' slow work.</li>
 * </ul>
 * A tick that comes late does not cause a burst of catch-up ticks: missed ones are skipped and counted as overruns.
 * Config reloads and mode changes may come from any thread; they take effect at the start of the next tick, on the
 * control thread, all at once.
 */
public final class Agent {
    /**
     * Sampled for the live views but not kept in history: {@code cpu.cores} is {@code cpu.percent} × CPUs / 100, and
     * one row less per app and tick is a third of the store's work with hundreds of apps.
     */
    static final java.util.Set<String> NOT_STORED = java.util.Set.of("cpu.cores");

    private final ProcessDetector detector;
    private final HostResources host;
    private final Enforcer enforcer;
    private final Sampler sampler;
    private final HistoryStore store;
    private final LongSupplier wallMillis;
    private final List<TickListener> listeners;

    private PoolwardenConfig config;
    private Mode mode;
    private PolicyPlan plan;
    private boolean planDirty = true;
    private Inventory inventory;
    private List<InsufficientResources> alarms = List.of();
    private boolean started;
    private long nextFast, nextSlow;
    private boolean enforcing;

    private final AtomicReference<PoolwardenConfig> pendingConfig = new AtomicReference<>();
    private final AtomicReference<Mode> pendingMode = new AtomicReference<>();

    private final Counters counters = new Counters();

    /** Loop counters for /metrics and `status`. Written by the control thread only. */
    public static final class Counters {
        public volatile long fastTicks, slowTicks, fastOverruns, slowOverruns, slowTickErrors, reloadsAccepted,
                reloadsRejected, policyFastApplies, enforcements, releases, alarmsRaised, samplesWritten;
        /** The last slow-tick failure, for `status`; null when none. */
        public volatile String lastSlowTickError;
    }

    /**
     * @param store      null: no history (e.g. `validate`, tests of the loop alone)
     * @param wallMillis wall-clock time for history timestamps (the loop itself only uses nowNanos)
     */
    public Agent(PoolwardenConfig config, ProcessDetector detector, HostResources host, Enforcer enforcer,
                 Sampler sampler, HistoryStore store, LongSupplier wallMillis, List<TickListener> listeners) {
        this.config = config;
        this.mode = config.mode();
        this.detector = detector;
        this.host = host;
        this.enforcer = enforcer;
        this.sampler = sampler;
        this.store = store;
        this.wallMillis = wallMillis;
        this.listeners = List.copyOf(listeners);
        detector.setApps(config.apps());
    }

    /**
     * A new config from a reload (SIGHUP, API). Atomic: an invalid one is rejected with all its errors and the running
     * config stays; a valid one replaces it as a whole at the next tick.
     *
     * @return the errors; empty when accepted
     */
    public List<ConfigError> reload(ConfigLoader.Result result) {
        if (!result.valid()) {
            counters.reloadsRejected++;
            return result.errors();
        }
        pendingConfig.set(result.config());
        return List.of();
    }

    /** The one switch between monitor and enforce; takes effect at the next tick. */
    public void requestMode(Mode m) {
        pendingMode.set(m);
    }

    /** Does what is due at nowNanos; returns the next deadline. */
    public long tick(long nowNanos) {
        if (!started) {
            started = true;
            nextFast = nowNanos;
            nextSlow = nowNanos;
        }
        applyEvents(nowNanos);
        if (nowNanos - nextFast >= 0) {
            fastTick(nowNanos);
            nextFast = advance(nextFast, config.timers().fastTickMillis() * 1_000_000L, nowNanos, true);
        }
        if (nowNanos - nextSlow >= 0) {
            slowTick(nowNanos);
            nextSlow = advance(nextSlow, config.timers().slowTickMillis() * 1_000_000L, nowNanos, false);
        }
        return nextFast - nextSlow < 0 ? nextFast : nextSlow;
    }

    private long advance(long deadline, long period, long now, boolean fast) {
        long next = deadline + period;
        if (next - now <= 0) {
            // Late by a whole period or more: skip the missed ticks rather than run them back to back.
            if (fast) counters.fastOverruns++;
            else counters.slowOverruns++;
            next = now + period;
        }
        return next;
    }

    private void applyEvents(long nowNanos) {
        PoolwardenConfig c = pendingConfig.getAndSet(null);
        boolean sameRules = false;
        long regularSlow = nextSlow;
        if (c != null) {
            config = c;
            long unchanged = detector.unchangedRuleReloads();
            detector.setApps(c.apps());
            sameRules = detector.unchangedRuleReloads() != unchanged;
            planDirty = true;
            counters.reloadsAccepted++;
            if (pendingMode.get() == null) pendingMode.set(c.mode());
            // A new config is applied at the next slow tick: make that now, not up to 2 s later.
            nextSlow = nowNanos;
        }
        Mode m = pendingMode.getAndSet(null);
        if (m != null && m != mode) {
            mode = m;
            if (m == Mode.MONITOR && enforcing) {
                enforcer.release();
                enforcing = false;
                counters.releases++;
            }
            // Entering enforce mode applies at the next slow tick, which comes now rather than in up to 2 s.
            if (m == Mode.ENFORCE) nextSlow = nowNanos;
        }
        if (sameRules && enforcing && mode == Mode.ENFORCE && inventory != null && applyPolicyChanges()) {
            // Everything the reload changed is in the kernel: the scan and full reconcile keep their own rhythm
            // instead of running now (back-to-back changes would each wait for the previous one's reconcile).
            nextSlow = regularSlow;
        }
    }

    /**
     * A reload with the same apps and process rules keeps every classification, so its new policies can be written
     * now for the processes as last scanned, without the slow tick's scan and full reconcile (hundreds of groups read
     * back): the changed knob reaches the kernel in milliseconds rather than after a whole tick.
     *
     * @return true when the enforcer wrote every change; the new plan is then the current one
     */
    private boolean applyPolicyChanges() {
        try {
            PolicyPlan p = PolicyCalculator.plan(config, host, inventory.apps().keySet());
            if (!enforcer.applyPolicyChanges(p, inventory)) return false;
            counters.policyFastApplies++;
            usePlan(p);
            return true;
        } catch (RuntimeException e) {
            // The slow tick, run at once, applies (or rejects) the same plan in full and counts what fails there.
            return false;
        }
    }

    private void usePlan(PolicyPlan p) {
        plan = p;
        planDirty = false;
        if (!p.alarms().isEmpty() && !p.alarms().equals(alarms)) counters.alarmsRaised++;
        alarms = p.alarms();
    }

    private void fastTick(long nowNanos) {
        counters.fastTicks++;
        for (TickListener l : listeners) l.onFastTick(nowNanos);
    }

    private void slowTick(long nowNanos) {
        counters.slowTicks++;
        try {
            ScanResult scan = detector.scan();
            inventory = scan.inventory();
            // The plan depends on which apps run here: recompute when that may have changed.
            if (planDirty || !scan.started().isEmpty() || !scan.exited().isEmpty() || !scan.moved().isEmpty()) {
                usePlan(PolicyCalculator.plan(config, host, inventory.apps().keySet()));
            }
            if (mode == Mode.ENFORCE) {
                enforcer.apply(plan, inventory);
                enforcing = true;
                counters.enforcements++;
            }
            List<Sample> samples = new ArrayList<>(sampler.sample(inventory, nowNanos));
            for (Inventory.Instance i : inventory.apps().values()) {
                samples.add(new Sample(i.app(), "processes", i.pids().size()));
            }
            samples.add(new Sample("host", "processes", inventory.total()));
            if (store != null) {
                List<Sample> kept = new ArrayList<>(samples.size());
                for (Sample x : samples) if (!NOT_STORED.contains(x.metric())) kept.add(x);
                store.write(wallMillis.getAsLong(), kept);
                counters.samplesWritten += kept.size();
            }
        } catch (RuntimeException e) {
            // One bad tick (a store hiccup, an adapter error) must not stop the loop; it is counted and retried.
            counters.slowTickErrors++;
            counters.lastSlowTickError = e.toString();
        }
        for (TickListener l : listeners) l.onSlowTick(nowNanos);
    }

    public Mode mode() {
        return mode;
    }

    public PoolwardenConfig config() {
        return config;
    }

    public Inventory inventory() {
        return inventory;
    }

    public PolicyPlan plan() {
        return plan;
    }

    /** The current insufficient-resources alarms (empty when every booking fits). */
    public List<InsufficientResources> alarms() {
        return alarms;
    }

    public Counters counters() {
        return counters;
    }

    public ProcessDetector detector() {
        return detector;
    }
}
