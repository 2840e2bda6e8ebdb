package org.poolwarden.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;

/**
 * {@link AgentApi} in memory, with the real one's contract: policies are validated against the config's pipes, a
 * rejected change changes nothing, a reload is all-or-nothing. Tests set the usage, samples, counters and alarms
 * that the control loop would produce, and read {@link #changes()} to check that a refused request changed nothing.
 */
public final class FakeAgentApi implements AgentApi {
    private final String host;
    private final Clock clock;
    private final Instant started;
    private PoolwardenConfig config;
    private Mode mode;
    private final Map<String, Policy> policies = new LinkedHashMap<>();
    private final Map<String, AppView.Instance> instances = new LinkedHashMap<>();
    private final Map<String, List<History.Sample>> samples = new LinkedHashMap<>();
    private final Map<String, Long> counters = new TreeMap<>();
    private final List<Alarm> alarms = new ArrayList<>();
    private Supplier<ConfigLoader.Result> reloadSource;
    private int processes;
    private int changes;

    public FakeAgentApi(String host, PoolwardenConfig config, Clock clock) {
        this.host = host;
        this.clock = clock;
        this.started = clock.instant();
        this.reloadSource = () -> new ConfigLoader.Result(this.config, List.of());
        adopt(config);
    }

    /** A config from YAML text; fails the test on an invalid one. */
    public static PoolwardenConfig config(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml);
        if (!r.valid()) throw new AssertionError("test config invalid: " + r.errors());
        return r.config();
    }

    private void adopt(PoolwardenConfig c) {
        config = c;
        mode = c.mode();
        policies.clear();
        for (App a : c.apps()) policies.put(a.name(), a.policy());
    }

    // ---- what the control loop would feed ----

    public synchronized FakeAgentApi instance(String app, List<Integer> pids, Usage usage) {
        known(app);
        instances.put(app, new AppView.Instance(host, pids, usage));
        return this;
    }

    public synchronized FakeAgentApi sample(String app, History.Sample s) {
        known(app);
        samples.computeIfAbsent(app, k -> new ArrayList<>()).add(s);
        return this;
    }

    public synchronized FakeAgentApi counter(String name, long value) {
        counters.put(name, value);
        return this;
    }

    public synchronized FakeAgentApi alarm(Alarm a) {
        alarms.add(a);
        return this;
    }

    public synchronized FakeAgentApi processes(int total) {
        processes = total;
        return this;
    }

    /** What the next {@link #reload()} reads. */
    public synchronized FakeAgentApi reloadFrom(Supplier<ConfigLoader.Result> source) {
        reloadSource = source;
        return this;
    }

    /** How many calls changed state (policy, mode, config). */
    public synchronized int changes() {
        return changes;
    }

    public synchronized PoolwardenConfig config() {
        return config;
    }

    // ---- the port ----

    @Override
    public synchronized Status status() {
        int assigned = instances.values().stream().mapToInt(i -> i.pids().size()).sum();
        int total = Math.max(processes, assigned);
        return new Status(host, "test", mode, started, Duration.between(started, clock.instant()).toSeconds(),
                config.apps().size(), instances.size(), total, total - assigned, counters, alarms);
    }

    @Override
    public synchronized List<AppView> apps() {
        List<AppView> out = new ArrayList<>();
        for (App a : config.apps()) out.add(view(a.name()));
        return out;
    }

    @Override
    public synchronized AppView app(String name) {
        known(name);
        return view(name);
    }

    private AppView view(String name) {
        Policy p = policies.get(name);
        AppView.Instance i = instances.get(name);
        return new AppView(name, p != null, p == null ? null : p.priority(), i == null ? List.of() : List.of(i));
    }

    @Override
    public synchronized Policy policy(String app) {
        known(app);
        return policies.get(app);
    }

    @Override
    public synchronized PolicyResult setPolicy(String app, Policy policy) {
        known(app);
        List<FieldError> errors = PolicyValidator.validate(policy, config.pipes());
        if (!errors.isEmpty()) return PolicyResult.rejected(app, policies.get(app), errors);
        policies.put(app, policy);
        changes++;
        return PolicyResult.applied(app, policy);
    }

    @Override
    public synchronized PolicyResult editPolicy(String app, Map<String, String> edits) {
        return AgentApi.super.editPolicy(app, edits);
    }

    @Override
    public synchronized History history(String app, Instant since) {
        known(app);
        List<History.Sample> s = samples.getOrDefault(app, List.of()).stream()
                .filter(x -> !x.at().isBefore(since)).toList();
        return new History(app, since, clock.instant(), config.timers().slowTickMillis() / 1000, s);
    }

    @Override
    public synchronized ModeChange setMode(Mode m) {
        Mode previous = mode;
        if (m != mode) changes++;
        mode = m;
        return new ModeChange(previous, m);
    }

    @Override
    public synchronized ReloadResult reload() {
        ConfigLoader.Result r = reloadSource.get();
        if (!r.valid()) return new ReloadResult(false, "test", config.apps().size(), r.errors());
        adopt(r.config());
        instances.keySet().retainAll(policies.keySet());
        changes++;
        return new ReloadResult(true, "test", config.apps().size(), List.of());
    }

    private void known(String app) {
        if (config.app(app) == null) throw new UnknownAppException(app);
    }
}
