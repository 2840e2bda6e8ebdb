package org.poolwarden.agent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.poolwarden.api.AgentApi;
import org.poolwarden.api.Alarm;
import org.poolwarden.api.AppView;
import org.poolwarden.api.History;
import org.poolwarden.api.ModeChange;
import org.poolwarden.api.PolicyEdits;
import org.poolwarden.api.PolicyResult;
import org.poolwarden.api.PolicyValidator;
import org.poolwarden.api.ReloadResult;
import org.poolwarden.api.Status;
import org.poolwarden.api.UnknownAppException;
import org.poolwarden.api.Usage;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.detect.Inventory;
import org.poolwarden.policy.InsufficientResources;
import org.poolwarden.store.HistoryStore;
import org.poolwarden.store.Resolution;

/**
 * The real {@link AgentApi} over a running {@link Agent}: what the HTTP API and /metrics serve.
 *
 * <ul>
 *   <li>Reads answer from an immutable snapshot that the control thread publishes after every slow tick and whenever
 *       the config or mode changed, so they never wait for the loop or see a half-done tick.</li>
 *   <li>Changes (mode, policy, reload) are handed to the control thread through a {@link ControlQueue} and return
 *       once they are in effect in the agent (enforcement itself follows at the agent's next slow tick, which comes at
 *       once for a switch to enforce). They are serialized: SIGHUP and API requests never interleave.</li>
 *   <li>A policy change is a new config with that one policy replaced and the running mode kept; it lasts until the
 *       next reload, which takes the config (and its mode) from the files again.</li>
 *   <li>History is read from the store through its own connection (WAL: readers do not block the sampler).</li>
 * </ul>
 * Register it as the agent's {@link TickListener} and {@link #bind} the agent before the loop starts.
 */
public final class LoopAgentApi implements AgentApi, TickListener {
    /** The pseudo pipe under which the TCP traffic of an app's sockets (sock_diag, any interface) is reported. */
    public static final String SOCKETS_PIPE = "tcp";

    /** Where a reload reads the config from, and a name for it (a directory, a file, the embedded default). */
    public interface ConfigSource {
        ConfigLoader.Result load();

        String describe();
    }

    private record Snapshot(PoolwardenConfig config, Mode mode, Inventory inventory, List<Alarm> alarms) {}

    private final ControlQueue queue;
    private final Supplier<SampleTap> tap;
    private final HistoryStore reader;
    private final ConfigSource source;
    private final String host;
    private final String version;
    private final Clock clock;
    private final Instant started;
    private final Supplier<Map<String, Long>> extraCounters;
    private volatile Agent agent;
    private volatile Snapshot snap;
    /** Control thread only: when each current alarm was first raised. */
    private final Map<String, Instant> alarmSince = new HashMap<>();
    private volatile long apiReloadsApplied, apiReloadsRejected, policyChanges, modeChanges;

    /**
     * @param tap           the agent's sampler wrapper (live usage; may give null until the agent is built, and then
     *                      the apps show no usage)
     * @param reader        a store connection for history; null: history is empty
     * @param extraCounters more counters for `status` and /metrics (enforcer, sampler), by name
     */
    public LoopAgentApi(ControlQueue queue, Supplier<SampleTap> tap, HistoryStore reader, ConfigSource source, String host,
                        String version, Clock clock, Supplier<Map<String, Long>> extraCounters) {
        this.queue = queue;
        this.tap = tap;
        this.reader = reader;
        this.source = source;
        this.host = host;
        this.version = version;
        this.clock = clock;
        this.started = clock.instant();
        this.extraCounters = extraCounters;
    }

    /** Attaches the agent (once, before its loop starts); the first snapshot is taken from it. */
    public void bind(Agent a) {
        if (agent != null) throw new IllegalStateException("already bound");
        agent = a;
        snap = new Snapshot(a.config(), a.mode(), a.inventory(), List.of());
    }

    // ---- control thread ----

    @Override
    public void onFastTick(long nowNanos) {
        Agent a = agent;
        Snapshot s = snap;
        // A reload or mode change took effect at the start of this tick: publish it before answering the waiters.
        if (a.config() != s.config() || a.mode() != s.mode()) publish(a);
        queue.onFastTick(nowNanos);
    }

    @Override
    public void onSlowTick(long nowNanos) {
        publish(agent);
    }

    private void publish(Agent a) {
        Instant now = clock.instant();
        List<Alarm> alarms = new ArrayList<>();
        Map<String, Instant> keep = new HashMap<>();
        for (InsufficientResources r : a.alarms()) {
            String key = Alarm.INSUFFICIENT_RESOURCES + "/" + r.resource();
            Instant since = alarmSince.getOrDefault(key, now);
            keep.put(key, since);
            alarms.add(Alarm.of(r, since));
        }
        alarmSince.clear();
        alarmSince.putAll(keep);
        snap = new Snapshot(a.config(), a.mode(), a.inventory(), List.copyOf(alarms));
    }

    // ---- reads ----

    private Snapshot snap() {
        Snapshot s = snap;
        if (s == null) throw new IllegalStateException("no agent bound");
        return s;
    }

    @Override
    public Status status() {
        Snapshot s = snap();
        Inventory inv = s.inventory();
        int running = 0;
        if (inv != null) for (Inventory.Instance i : inv.apps().values()) if (!i.pids().isEmpty()) running++;
        return new Status(host, version, s.mode(), started, Duration.between(started, clock.instant()).toSeconds(),
                s.config().apps().size(), running, inv == null ? 0 : inv.total(), inv == null ? 0 : inv.unassigned(),
                counters(), s.alarms());
    }

    /** The loop's counters, this API's and the extra ones, by Prometheus-friendly name. */
    public Map<String, Long> counters() {
        Agent.Counters c = agent.counters();
        Map<String, Long> m = new TreeMap<>();
        m.put("fast_ticks", c.fastTicks);
        m.put("slow_ticks", c.slowTicks);
        m.put("fast_overruns", c.fastOverruns);
        m.put("slow_overruns", c.slowOverruns);
        m.put("slow_tick_errors", c.slowTickErrors);
        m.put("reloads_accepted", c.reloadsAccepted);
        m.put("reloads_policy_fast", c.policyFastApplies);
        m.put("reloads_rejected", c.reloadsRejected);
        m.put("enforcements", c.enforcements);
        m.put("releases", c.releases);
        m.put("alarms_raised", c.alarmsRaised);
        m.put("samples_written", c.samplesWritten);
        m.put("control_tasks", queue.executed());
        m.put("api_reloads_applied", apiReloadsApplied);
        m.put("api_reloads_rejected", apiReloadsRejected);
        m.put("policy_changes", policyChanges);
        m.put("mode_changes", modeChanges);
        m.putAll(extraCounters.get());
        return m;
    }

    @Override
    public List<AppView> apps() {
        Snapshot s = snap();
        Map<String, SampleTap.Values> live = live();
        List<AppView> out = new ArrayList<>();
        for (App a : s.config().apps()) out.add(view(s, a, live));
        return out;
    }

    @Override
    public AppView app(String name) {
        Snapshot s = snap();
        App a = s.config().app(name);
        if (a == null) throw new UnknownAppException(name);
        return view(s, a, live());
    }

    private Map<String, SampleTap.Values> live() {
        SampleTap t = tap.get();
        return t == null ? Map.of() : t.latest();
    }

    private AppView view(Snapshot s, App a, Map<String, SampleTap.Values> live) {
        Policy p = a.policy();
        Inventory.Instance i = s.inventory() == null ? null : s.inventory().apps().get(a.name());
        List<AppView.Instance> instances = new ArrayList<>();
        if (i != null && !i.pids().isEmpty()) {
            List<Integer> pids = new ArrayList<>(i.pids());
            pids.sort(null);
            instances.add(new AppView.Instance(host, pids, usage(s.config(), live.get(a.name()))));
        }
        return new AppView(a.name(), p != null, p == null ? null : p.priority(), instances);
    }

    /** Null until the sampler has a CPU rate for the app (its first sample only sets the baseline). */
    static Usage usage(PoolwardenConfig c, SampleTap.Values v) {
        if (v == null || v.get("cpu.percent") == null) return null;
        Double thr = v.get("cpu.throttled_s");
        Double thrPeriods = v.get("cpu.throttled_periods");
        // nr_periods is not sampled (cpu.stat's throttled count and time are what an operator acts on): it stays 0.
        Usage.Throttling throttling = thr == null ? null : new Usage.Throttling(0,
                thrPeriods == null ? 0 : (long) (double) thrPeriods, (long) (thr * 1e6));
        Double psiTotal = v.get("cpu.pressure.some_s");
        Usage.Pressure pressure = psiTotal == null || v.get("cpu.pressure.some_avg10") == null
                || v.get("cpu.pressure.some_avg60") == null || v.get("cpu.pressure.some_avg300") == null ? null
                : new Usage.Pressure(new Usage.Pressure.Line(
                v.get("cpu.pressure.some_avg10"), v.get("cpu.pressure.some_avg60"), v.get("cpu.pressure.some_avg300"),
                (long) (psiTotal * 1e6)), null);
        List<Usage.PipeUsage> pipes = new ArrayList<>();
        for (Pipe p : c.pipes()) {
            String k = "pipe." + p.name() + ".out.";
            Double bps = v.get(k + "bits_per_s");
            if (bps == null) continue;
            Double drops = v.get(k + "drops");
            pipes.add(new Usage.PipeUsage(p.name(), Usage.Direction.EGRESS,
                    (long) (double) v.totals().getOrDefault(k + "bytes", 0.0),
                    (long) (double) v.totals().getOrDefault(k + "packets", 0.0), bps,
                    drops == null ? 0 : (long) (double) drops, 0));
        }
        for (Usage.Direction d : Usage.Direction.values()) {
            String k = d == Usage.Direction.EGRESS ? "net.out." : "net.in.";
            Double bps = v.get(k + "bits_per_s");
            if (bps == null) continue;
            pipes.add(new Usage.PipeUsage(SOCKETS_PIPE, d, (long) (double) v.totals().getOrDefault(k + "bytes", 0.0),
                    0, bps, 0, 0));
        }
        return new Usage(v.get("cpu.percent"), (long) (v.totals().getOrDefault("cpu.seconds", 0.0) * 1e6), throttling,
                pressure, pipes);
    }

    @Override
    public Policy policy(String app) {
        App a = snap().config().app(app);
        if (a == null) throw new UnknownAppException(app);
        return a.policy();
    }

    @Override
    public History history(String app, Instant since) {
        Snapshot s = snap();
        if (s.config().app(app) == null) throw new UnknownAppException(app);
        Instant until = clock.instant();
        long sinceMs = since.toEpochMilli(), now = until.toEpochMilli();
        Resolution r = Resolution.finestCovering(sinceMs, now);
        long resolution = switch (r) {
            case RAW -> Math.max(1, s.config().timers().slowTickMillis() / 1000);
            case MINUTE -> 60;
            case HOUR -> 3600;
        };
        if (reader == null) return new History(app, since, until, resolution, List.of());
        List<String> pipeMetrics = new ArrayList<>();
        for (Pipe p : s.config().pipes()) pipeMetrics.add("pipe." + p.name() + ".out.bits_per_s");
        pipeMetrics.add("net.out.bits_per_s");
        pipeMetrics.add("net.in.bits_per_s");
        Map<Long, Double> cpu = new TreeMap<>();
        for (HistoryStore.Point p : reader.query(app, "cpu.percent", sinceMs, now, r)) cpu.put(p.timeMillis(), p.avg());
        Map<Long, Double> throttled = new HashMap<>();
        for (HistoryStore.Point p : reader.query(app, "cpu.throttled_s", sinceMs, now, r)) {
            throttled.put(p.timeMillis(), p.avg());
        }
        Map<Long, List<History.PipeRate>> rates = new HashMap<>();
        for (String m : pipeMetrics) {
            String pipe = m.startsWith("net.") ? SOCKETS_PIPE : m.substring(5, m.length() - ".out.bits_per_s".length());
            Usage.Direction d = m.startsWith("net.in.") ? Usage.Direction.INGRESS : Usage.Direction.EGRESS;
            Map<Long, Double> pps = new HashMap<>();
            if (!m.startsWith("net.")) {
                String pm = m.replace(".bits_per_s", ".packets_per_s");
                for (HistoryStore.Point p : reader.query(app, pm, sinceMs, now, r)) pps.put(p.timeMillis(), p.avg());
            }
            for (HistoryStore.Point p : reader.query(app, m, sinceMs, now, r)) {
                rates.computeIfAbsent(p.timeMillis(), k -> new ArrayList<>())
                        .add(new History.PipeRate(pipe, d, p.avg(), pps.getOrDefault(p.timeMillis(), 0.0)));
            }
        }
        List<History.Sample> out = new ArrayList<>();
        for (Map.Entry<Long, Double> e : cpu.entrySet()) {
            Double t = throttled.get(e.getKey());
            out.add(new History.Sample(Instant.ofEpochMilli(e.getKey()), e.getValue(),
                    t == null ? null : (long) (t * 1e6), rates.getOrDefault(e.getKey(), List.of())));
        }
        return new History(app, since, until, resolution, out);
    }

    // ---- changes: on the control thread, one at a time ----

    @Override
    public synchronized ModeChange setMode(Mode m) {
        Mode previous = queue.call(() -> {
            Mode p = agent.mode();
            agent.requestMode(m);
            return p;
        });
        queue.barrier();
        if (previous != m) modeChanges++;
        return new ModeChange(previous, m);
    }

    @Override
    public synchronized PolicyResult setPolicy(String app, Policy policy) {
        PolicyResult r = queue.call(() -> replacePolicy(app, current -> policy));
        if (r.applied()) {
            queue.barrier();
            policyChanges++;
        }
        return r;
    }

    @Override
    public synchronized PolicyResult editPolicy(String app, Map<String, String> edits) {
        // Read, edit and set in one control-thread task: no other change can come in between.
        PolicyResult r = queue.call(() -> replacePolicy(app, current -> {
            PolicyEdits.Result e = PolicyEdits.apply(current, edits);
            if (!e.errors().isEmpty()) throw new Rejected(e.errors());
            return e.policy();
        }));
        if (r.applied()) {
            queue.barrier();
            policyChanges++;
        }
        return r;
    }

    private static final class Rejected extends RuntimeException {
        final List<FieldError> errors;

        Rejected(List<FieldError> errors) {
            super(null, null, false, false);
            this.errors = errors;
        }
    }

    /** Control thread. */
    private PolicyResult replacePolicy(String app, java.util.function.UnaryOperator<Policy> edit) {
        PoolwardenConfig c = agent.config();
        App a = c.app(app);
        if (a == null) throw new UnknownAppException(app);
        Policy next;
        try {
            next = edit.apply(a.policy());
        } catch (Rejected e) {
            return PolicyResult.rejected(app, a.policy(), e.errors);
        }
        List<FieldError> errors = PolicyValidator.validate(next, c.pipes());
        if (!errors.isEmpty()) return PolicyResult.rejected(app, a.policy(), errors);
        List<App> apps = new ArrayList<>();
        for (App x : c.apps()) {
            apps.add(x.name().equals(app)
                    ? new App(x.name(), x.includeChildren(), x.processRules(), x.flowRules(), next) : x);
        }
        // The running mode stays: a policy edit must not undo an API mode switch.
        PoolwardenConfig n = new PoolwardenConfig(agent.mode(), c.timers(), c.pipes(), apps, c.exchange(), c.pool(),
                c.cgroups());
        agent.reload(new ConfigLoader.Result(n, List.of()));
        return PolicyResult.applied(app, next);
    }

    @Override
    public synchronized ReloadResult reload() {
        ConfigLoader.Result r = source.load();
        String from = source.describe();
        if (!r.valid()) {
            int apps = queue.call(() -> {
                agent.reload(r); // counts the rejection; changes nothing
                return agent.config().apps().size();
            });
            apiReloadsRejected++;
            return new ReloadResult(false, from, apps, r.errors());
        }
        queue.call(() -> agent.reload(r));
        queue.barrier();
        apiReloadsApplied++;
        return new ReloadResult(true, from, r.config().apps().size(), List.of());
    }

    /** Config and mode as the API currently reports them. */
    public PoolwardenConfig config() {
        return snap().config();
    }

    public Mode mode() {
        return snap().mode();
    }
}
