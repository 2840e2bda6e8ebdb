package org.poolwarden.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.poolwarden.agent.Agent;
import org.poolwarden.agent.AgentRunner;
import org.poolwarden.agent.ControlQueue;
import org.poolwarden.agent.LoopAgentApi;
import org.poolwarden.agent.SampleTap;
import org.poolwarden.api.ApiServer;
import org.poolwarden.api.ReloadResult;
import org.poolwarden.api.TokenFile;
import org.poolwarden.cgroup.AbstractCpuController;
import org.poolwarden.cgroup.CpuControllers;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.enforce.EnforcedAgent;
import org.poolwarden.enforce.HostEnforcement;
import org.poolwarden.enforce.KernelEnforcer;
import org.poolwarden.log.Log;
import org.poolwarden.policy.HostResources;
import org.poolwarden.store.HistoryStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code poolwarden agent}: the product on one host. Loads the config (the embedded default when the config
 * directory has none), opens the history store, builds the control loop over the real kernel (cgroups, tc, nftables
 * through {@link EnforcedAgent}), serves the HTTP API and runs until SIGTERM or SIGINT.
 *
 * <ul>
 *   <li>SIGHUP: reload, atomic. An invalid config is logged with every error (file:line:col) and the running one
 *       stays. The reloaded config's mode applies (after {@code --mode}, which overrides every load), so a reload
 *       also undoes a mode or policy change made through the API.</li>
 *   <li>SIGTERM, SIGINT: clean stop. In monitor mode nothing of ours is left in the kernel (released once more on
 *       the way out). In enforce mode enforcement is deliberately left in place: the applications stay limited
 *       while the agent restarts (systemd Restart=, package upgrade), and the next agent takes the objects over by
 *       diff in enforce mode, or removes them at start in monitor mode. {@code poolwarden agent --cleanup} (with the
 *       agent stopped) removes them for good.</li>
 * </ul>
 * The signals are caught with {@code sun.misc.Signal} (jdk.unsupported; the JDK has no supported API for SIGHUP).
 * Handlers only hand work to a thread of ours, so the JVM's signal thread never blocks on the control loop.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Runs the poolwarden agent on this host (as root): detection, measurement, history, the HTTP "
                + "API, and enforcement in enforce mode.",
                "Monitor mode (the default) changes nothing in the kernel. SIGHUP reloads the config atomically; "
                        + "SIGTERM stops."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT, or --cleanup done", "1:could not start (config, store, API, "
                + "kernel) or the control loop failed", "64:bad usage"})
public final class AgentCommand implements java.util.concurrent.Callable<Integer> {
    public static final Path DEFAULT_STORE = Path.of("/var/lib/poolwarden/history.db");

    @Option(names = "--config", paramLabel = "DIR|FILE", description = "config directory or file (default: "
            + "${DEFAULT-VALUE}; the embedded default when it holds no config)")
    Path config = ConfigLoader.DEFAULT_DIR;

    @Option(names = "--api", paramLabel = "HOST:PORT", description = "where the HTTP API listens (short for "
            + "--api-listen; default 127.0.0.1:7474)")
    String apiListen;

    @Option(names = "--mode", paramLabel = "monitor|enforce", description = "overrides the config's mode, at start "
            + "and at every reload")
    String mode;

    @Option(names = "--cleanup", description = "remove every poolwarden kernel object (nftables table, tc qdiscs "
            + "and IFBs, our cgroups) and exit; stop the agent first")
    boolean cleanup;

    @Option(names = "--store", paramLabel = "FILE", description = "the history store (default: ${DEFAULT-VALUE})")
    Path store = DEFAULT_STORE;

    @Option(names = "--cgroup-root", paramLabel = "PATH", description = "our cgroup root in each hierarchy, "
            + "relative to the mount; overrides the config's cgroups.root (default: that, else "
            + CpuControllers.DEFAULT_ROOT + ")")
    String cgroupRoot;

    @Option(names = "--netns", paramLabel = "PATH", description = "the network namespace whose interfaces and "
            + "nftables are managed, e.g. /run/netns/NAME (default: the agent's own)")
    Path netns;

    @Option(names = "--ingress-pipe", paramLabel = "PIPE", description = "also shape this pipe's ingress (on an "
            + "IFB); repeatable")
    List<String> ingressPipes = new ArrayList<>();

    @Mixin
    AgentApiOptions api;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (apiListen != null) api.listen = apiListen;
        Log log = api.log();
        Mode forced = parseMode();
        checkRootOption();
        if (cleanup) return cleanup(new HostEnforcement.Settings(cleanupRoot(log), netns,
                java.util.Set.copyOf(ingressPipes), stateDir()), log);
        // The root is fixed for the agent's life: the enforcer and its cgroups are built on it once.
        AtomicReference<String> runningRoot = new AtomicReference<>();

        AtomicLong loadNanos = new AtomicLong();
        LoopAgentApi.ConfigSource source = new LoopAgentApi.ConfigSource() {
            @Override
            public ConfigLoader.Result load() {
                long t0 = System.nanoTime();
                ConfigLoader.Result r = loadConfig(config);
                loadNanos.set(System.nanoTime() - t0);
                if (!r.valid()) return r;
                PoolwardenConfig c = r.config();
                String root = runningRoot.get();
                if (root != null && !root.equals(c.cgroups().root()) && cgroupRoot == null) {
                    log.warn("cgroups.root changed in the config; it takes effect when the agent restarts",
                            "running", root, "configured", c.cgroups().root());
                }
                // The running config names the root in use (--cgroup-root, or the one read at start).
                return new ConfigLoader.Result(new PoolwardenConfig(forced == null ? c.mode() : forced, c.timers(),
                        c.pipes(), c.apps(), c.exchange(), c.pool(),
                        new PoolwardenConfig.Cgroups(root == null ? rootFor(c) : root)), List.of());
            }

            @Override
            public String describe() {
                return describeSource(config);
            }
        };
        ConfigLoader.Result first = source.load();
        if (!first.valid()) {
            logErrors(log, "config invalid; not starting", first.errors());
            return Main.EXIT_FAILURE;
        }
        runningRoot.set(first.config().cgroups().root());
        HostEnforcement.Settings settings = new HostEnforcement.Settings(runningRoot.get(), netns,
                java.util.Set.copyOf(ingressPipes), stateDir());
        ApiServer.Config apiConfig = api.apiConfig();

        HistoryStore writer = HistoryStore.openBuffered(store); // one commit a minute: see its javadoc
        HistoryStore reader = null;
        EnforcedAgent ea = null;
        ApiServer server = null;
        AgentRunner runner = null;
        Thread control = null;
        ControlQueue queue = null;
        ExecutorService signals = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "poolwarden-signals");
            t.setDaemon(true);
            return t;
        });
        int exit = 0;
        try {
            // History reads get their own connection: WAL lets them run while the control thread writes.
            reader = HistoryStore.open(store);
            AtomicReference<AgentRunner> runnerRef = new AtomicReference<>();
            queue = new ControlQueue(() -> {
                AgentRunner r = runnerRef.get();
                if (r != null) r.wake();
            }, ControlQueue.DEFAULT_TIMEOUT_MILLIS);
            AtomicReference<SampleTap> tapRef = new AtomicReference<>();
            AtomicReference<EnforcedAgent> eaRef = new AtomicReference<>();
            AtomicReference<Agent> agentRef = new AtomicReference<>();
            TickErrorLog tickErrors = new TickErrorLog(agentRef::get, log);
            LoopAgentApi loopApi = new LoopAgentApi(queue, tapRef::get, reader, source, hostname(), version(),
                    Clock.systemUTC(), () -> extraCounters(eaRef.get()));
            Agent agent;
            String cpuController;
            moveOutOfRootAncestry(settings.cgroupRoot(), log);
            try {
                ea = EnforcedAgent.create(first.config(), settings, writer, s -> {
                    SampleTap t = new SampleTap(s);
                    tapRef.set(t);
                    return t;
                }, List.of(loopApi, tickErrors));
                eaRef.set(ea);
                if (ea.enforcer().ports().cpu() instanceof AbstractCpuController cpu) {
                    for (String problem : cpu.origins().loadProblems()) {
                        log.warn("cgroup origins: line skipped; its process goes to the evacuation group on release",
                                "problem", problem);
                    }
                }
                agent = ea.agent();
                cpuController = ea.enforcer().ports().cpu().getClass().getSimpleName();
            } catch (RuntimeException e) {
                // No usable CPU controller, netlink or nftables: in monitor mode the agent still measures and
                // reports; only enforce mode needs them (`poolwarden doctor` says why).
                if (first.config().mode() == Mode.ENFORCE) throw e;
                String reason = Main.oneLine(e);
                log.warn("enforcement unavailable on this host; running monitor-only", "reason", reason);
                org.poolwarden.detect.ProcessDetector detector = MonitorOnly.detector(first.config(), hostname());
                SampleTap t = new SampleTap(
                        MonitorOnly.sampler(() -> loopApi.config(), HostResources.ofThisHost().cpus(), detector));
                tapRef.set(t);
                agent = new Agent(first.config(), detector,
                        HostResources.ofThisHost(), MonitorOnly.enforcer(reason), t, writer,
                        System::currentTimeMillis, List.of(loopApi, tickErrors));
                cpuController = "none";
            }
            loopApi.bind(agent);
            agentRef.set(agent);
            runner = AgentRunner.system(agent);
            runnerRef.set(runner);

            server = ApiServer.start(loopApi, apiConfig, Clock.systemUTC(), log);

            CountDownLatch stop = new CountDownLatch(1);
            AtomicReference<String> stopSignal = new AtomicReference<>();
            for (String name : List.of("TERM", "INT")) {
                Signal.handle(new Signal(name), sig -> {
                    stopSignal.compareAndSet(null, "SIG" + sig.getName());
                    stop.countDown();
                });
            }
            Signal.handle(new Signal("HUP"), sig -> signals.execute(() -> reload(loopApi, log, loadNanos)));

            control = runner.start();
            log.info("agent started", "mode", first.config().mode().name().toLowerCase(java.util.Locale.ROOT),
                    "config", source.describe(), "apps", first.config().apps().size(), "api", server.url(),
                    "cpu_controller", cpuController, "cgroup_root",
                    settings.cgroupRoot(), "netns", netns == null ? "own" : netns.toString(), "store", store.toString(),
                    "pid", ProcessHandle.current().pid());
            // Wait for a stop signal, or for the control thread to die (a bug: Agent.tick catches per-tick errors).
            while (!stop.await(500, TimeUnit.MILLISECONDS)) {
                if (!control.isAlive()) break;
            }
            if (stopSignal.get() == null) {
                RuntimeException f = runner.failure();
                log.error("control loop died", "error", f == null ? "unknown" : String.valueOf(f));
                exit = Main.EXIT_FAILURE;
            } else {
                log.info("stopping", "signal", stopSignal.get());
            }
        } catch (TokenFile.TokenFileException | IOException e) {
            log.error("cannot start the API", "error", e.getMessage());
            exit = Main.EXIT_FAILURE;
        } finally {
            signals.shutdownNow();
            if (server != null) server.close();
            if (queue != null) queue.close();
            if (runner != null) {
                runner.stop();
                if (control != null) control.join(10_000);
            }
            if (ea == null && runner != null) {
                log.info("stopped", "mode", "monitor-only", "kernel", "untouched");
            } else if (ea != null) {
                Mode m = ea.agent().mode();
                if (m == Mode.MONITOR) {
                    ea.enforcer().release(); // idempotent: monitor mode leaves nothing of ours in the kernel
                    log.info("stopped", "mode", "monitor", "kernel", "released");
                } else {
                    log.info("stopped", "mode", "enforce", "kernel", "left in place for the next agent to adopt "
                            + "(remove with: poolwarden agent --cleanup)");
                }
                ea.close();
            }
            if (reader != null) reader.close();
            writer.close();
        }
        return exit;
    }

    /**
     * SIGHUP: the same atomic reload as the API's; the outcome is logged either way, with the time the config took
     * to read and check ({@code load_ms}) and the whole reload until the tick that applied it ran ({@code took_ms}).
     */
    private static void reload(LoopAgentApi loopApi, Log log, AtomicLong loadNanos) {
        try {
            long t0 = System.nanoTime();
            ReloadResult r = loopApi.reload();
            if (r.applied()) {
                log.info("config reloaded", "source", r.source(), "apps", r.apps(), "mode",
                        loopApi.mode().name().toLowerCase(java.util.Locale.ROOT), "load_ms",
                        loadNanos.get() / 1_000_000, "took_ms", (System.nanoTime() - t0) / 1_000_000);
            } else {
                logErrors(log, "config reload rejected; the running config stays", r.errors());
            }
        } catch (RuntimeException e) {
            log.error("config reload failed", "error", String.valueOf(e.getMessage()));
        }
    }

    private static void logErrors(Log log, String msg, List<ConfigError> errors) {
        log.error(msg, "errors", errors.size());
        for (ConfigError e : errors) log.error("config error", "error", e.toString());
    }

    /** On pure cgroup v2 under a delegating unit: see {@link OwnCgroup}. A failure is logged; enforcement says why. */
    private static void moveOutOfRootAncestry(String root, Log log) {
        try {
            org.poolwarden.cgroup.CgroupLayout layout = org.poolwarden.cgroup.CgroupLayout.detect();
            if (layout.mode() != org.poolwarden.cgroup.CgroupLayout.Mode.V2) return;
            String leaf = OwnCgroup.leaveRootAncestry(layout.unifiedMount(), root,
                    Files.readAllLines(Path.of("/proc/self/cgroup")), ProcessHandle.current().pid());
            if (leaf != null) log.info("moved the agent's process out of its cgroup root's ancestry", "cgroup", leaf);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot move the agent's process into a leaf cgroup; enabling cpu below it will fail",
                    "root", root, "error", Main.oneLine(e));
        }
    }

    /** --cgroup-root, else a valid config's cgroups.root checked like the binder does, else the default. */
    private String rootFor(PoolwardenConfig c) {
        return cgroupRoot != null ? cgroupRoot : c.cgroups().root();
    }

    /** --cleanup must work with a broken config too: then the flag or the default root. */
    private String cleanupRoot(Log log) {
        if (cgroupRoot != null) return cgroupRoot;
        ConfigLoader.Result r = loadConfig(config);
        if (r.valid()) return r.config().cgroups().root();
        log.warn("config invalid; cleaning up the default cgroup root", "root", CpuControllers.DEFAULT_ROOT,
                "config", describeSource(config));
        return CpuControllers.DEFAULT_ROOT;
    }

    private int cleanup(HostEnforcement.Settings settings, Log log) {
        try (KernelEnforcer e = HostEnforcement.open(settings, () -> null)) {
            List<String> done = e.cleanup();
            for (String d : done) log.info("removed", "object", d);
            log.info("cleanup done", "removed", done.size(), "cgroup_root", settings.cgroupRoot());
        }
        return 0;
    }

    /**
     * Puts a failing slow tick's error into the log: the loop only counts it ({@code slow_tick_errors}), and an
     * operator must see why enforcement fails. Logged when the message changes, so a persistent error is one line,
     * not one every 2 s.
     */
    static final class TickErrorLog implements org.poolwarden.agent.TickListener {
        private final java.util.function.Supplier<Agent> agent;
        private final Log log;
        private long seenErrors;
        private String lastLogged;

        TickErrorLog(java.util.function.Supplier<Agent> agent, Log log) {
            this.agent = agent;
            this.log = log;
        }

        @Override
        public void onSlowTick(long nowNanos) {
            Agent a = agent.get();
            if (a == null) return;
            long errors = a.counters().slowTickErrors;
            if (errors == seenErrors) return;
            seenErrors = errors;
            String error = a.counters().lastSlowTickError;
            if (error != null && !error.equals(lastLogged)) {
                lastLogged = error;
                log.error("slow tick failed", "error", error.replace('\n', ' '), "slow_tick_errors", errors);
            }
        }
    }

    /** The agent without kernel enforcement: /proc detection and sampling only. */
    static final class MonitorOnly {
        static org.poolwarden.agent.Sampler sampler(java.util.function.Supplier<PoolwardenConfig> config, int cpus,
                                                    org.poolwarden.detect.ProcessDetector detector) {
            return new org.poolwarden.enforce.KernelSampler(config, null, null, Path.of("/proc"), cpus, detector);
        }

        static org.poolwarden.detect.ProcessDetector detector(PoolwardenConfig c, String host) {
            org.poolwarden.detect.ProcessDetector d = new org.poolwarden.detect.ProcessDetector(
                    org.poolwarden.detect.ProcReader.system(), org.poolwarden.detect.IdNames.system(), host, c.apps());
            d.setEvents(org.poolwarden.detect.ProcessDetector.kernelEvents());
            return d;
        }

        /** Switching to enforce is accepted but every slow tick then fails, counted and shown in `status`. */
        static org.poolwarden.agent.Enforcer enforcer(String reason) {
            return new org.poolwarden.agent.Enforcer() {
                @Override
                public void apply(org.poolwarden.policy.PolicyPlan plan, org.poolwarden.detect.Inventory inv) {
                    throw new IllegalStateException("cannot enforce on this host: " + reason);
                }

                @Override
                public void release() {
                    // nothing was ever applied
                }
            };
        }
    }

    /**
     * The store's directory: the record of the cgroups our processes came from lives beside the history
     * ({@value HostEnforcement#ORIGINS_FILE}), so a restarted agent still sends them home on release.
     */
    private Path stateDir() {
        return store.toAbsolutePath().getParent();
    }

    private static Map<String, Long> extraCounters(EnforcedAgent ea) {
        Map<String, Long> m = new TreeMap<>();
        if (ea == null) return m;
        KernelEnforcer.Counters c = ea.enforcer().counters();
        m.put("enforcer_applies", c.applies);
        m.put("enforcer_apply_failures", c.applyFailures);
        m.put("enforcer_rejected_plans", c.rejectedPlans);
        m.put("enforcer_releases", c.releases);
        m.put("enforcer_tc_changes", c.tcChanges);
        m.put("enforcer_tc_drift", c.tcDrift);
        m.put("enforcer_foreign_objects", c.foreignObjects);
        m.put("enforcer_nft_commands", c.nftCommands);
        m.put("enforcer_nft_drift", c.nftDrift);
        m.put("enforcer_cpu_writes", c.cpuWrites);
        if (ea.enforcer().ports().cpu() instanceof AbstractCpuController cpu) {
            m.put("cpu_returned_home", cpu.counters().returnedHome());
            m.put("cpu_home_lost", cpu.counters().homeLost());
            m.put("cpu_origin_save_failures", cpu.origins().saveFailures());
        }
        m.put("sampler_samples", ea.sampler().counters().samples);
        m.put("sampler_sock_diag_failures", ea.sampler().counters().sockDiagFailures);
        m.put("sampler_fd_scans", ea.sampler().counters().fdScans);
        m.put("enforcer_quiet_skips", c.quietSkips);
        m.put("enforcer_knob_checks", c.knobChecks);
        m.put("enforcer_network_checks", c.networkChecks);
        m.put("enforcer_policy_fast_applies", c.policyFastApplies);
        m.put("enforcer_policy_fast_writes", c.policyFastWrites);
        m.put("detector_proc_files_read", ea.agent().detector().reader().filesRead());
        m.put("detector_proc_held_reads", ea.agent().detector().reader().heldReads());
        m.put("detector_event_scans", ea.agent().detector().eventScans());
        m.put("detector_proc_walks", ea.agent().detector().walks());
        m.put("detector_lost_event_walks", ea.agent().detector().lostWalks());
        return m;
    }

    /**
     * A directory, a file, or a path that does not exist: then a name that looks like a file is an error (a typo
     * must not silently give the defaults) and anything else is a directory not made yet, i.e. the embedded default.
     */
    static ConfigLoader.Result loadConfig(Path path) {
        if (Files.exists(path) || path.getFileName().toString().matches(".*\\.(ya?ml|json|xml)")) {
            return ConfigLoader.load(path);
        }
        return ConfigLoader.loadDirectory(path);
    }

    /** "DIR" when it holds a config, "FILE" for a file, else the embedded default's name. */
    static String describeSource(Path path) {
        if (Files.isRegularFile(path)) return path.toString();
        if (Files.isDirectory(path)) {
            for (String n : ConfigLoader.MAIN_FILES) if (Files.isRegularFile(path.resolve(n))) return path.resolve(n).toString();
            try (var ds = Files.newDirectoryStream(path, "*.xml")) {
                if (ds.iterator().hasNext()) return path.toString();
            } catch (IOException e) {
                return path.toString();
            }
        }
        return "embedded default (" + path + " has no config)";
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private void checkRootOption() {
        if (cgroupRoot == null) return;
        try {
            org.poolwarden.cgroup.GroupNames.checkRoot(cgroupRoot);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cgroup-root: " + e.getMessage());
        }
    }

    private Mode parseMode() {
        if (mode == null) return null;
        for (Mode m : Mode.values()) if (m.name().equalsIgnoreCase(mode)) return m;
        throw new CommandLine.ParameterException(spec.commandLine(), "--mode: expected monitor or enforce, found \""
                + mode + "\"");
    }
}
