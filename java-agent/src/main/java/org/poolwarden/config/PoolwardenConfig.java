package org.poolwarden.config;

import java.util.List;
import java.util.Map;

/**
 * The whole validated configuration of one agent. Built only by {@link ConfigLoader} (which validates), so code that
 * holds one may trust it: names are unique, every policy's pipe exists, every number is in range.
 *
 * @param exchange opaque for now: the exchange's own settings, passed through to it unchanged
 * @param pool     opaque for now: the pool allocator's settings, passed through unchanged
 * @param cgroups  where the agent's cgroups go; read once at start (a changed root needs a restart)
 */
public record PoolwardenConfig(Mode mode, Timers timers, List<Pipe> pipes, List<App> apps,
                               Map<String, Object> exchange, Map<String, Object> pool, Cgroups cgroups) {
    public PoolwardenConfig {
        pipes = List.copyOf(pipes);
        apps = List.copyOf(apps);
        exchange = Map.copyOf(exchange);
        pool = Map.copyOf(pool);
        if (cgroups == null) cgroups = Cgroups.DEFAULT;
    }

    /** A config with the default cgroup root (the form from before {@code cgroups} existed). */
    public PoolwardenConfig(Mode mode, Timers timers, List<Pipe> pipes, List<App> apps, Map<String, Object> exchange,
                            Map<String, Object> pool) {
        this(mode, timers, pipes, apps, exchange, pool, Cgroups.DEFAULT);
    }

    /** Monitor is the default: a new install must never change the kernel before the operator asks it to. */
    public static final Mode DEFAULT_MODE = Mode.MONITOR;

    public enum Mode {
        /** Nothing is changed on the kernel; everything is measured and reported. */
        MONITOR,
        /** Policies are enforced with cgroups, tc and nftables. */
        ENFORCE
    }

    /** The two control-loop timers (DESIGN.md). */
    public record Timers(long fastTickMillis, long slowTickMillis) {
        /** 50 ms: fast enough that pipe shares follow demand within a few round trips of the exchange. */
        public static final long DEFAULT_FAST_TICK_MILLIS = 50;
        /** 2 s: detection and sampling walk /proc; every 2 s keeps their cost far below 0.5% of a core. */
        public static final long DEFAULT_SLOW_TICK_MILLIS = 2000;
        public static final Timers DEFAULT = new Timers(DEFAULT_FAST_TICK_MILLIS, DEFAULT_SLOW_TICK_MILLIS);
    }

    /**
     * Where the agent's cgroups go.
     *
     * @param root relative to each cgroup mount, safe components separated by '/'; under the systemd unit
     *             (Delegate=yes in poolwarden.slice) {@link #SYSTEMD_ROOT}, so the agent stays inside its delegated
     *             subtree
     */
    public record Cgroups(String root) {
        /** "poolwarden" at the top of each mount: a host where nothing delegates a subtree to the agent. */
        public static final String DEFAULT_ROOT = org.poolwarden.cgroup.CpuControllers.DEFAULT_ROOT;
        /** The packaged unit's delegated subtree, one level down so the agent's own process can sit beside it. */
        public static final String SYSTEMD_ROOT = "poolwarden.slice/poolwarden.service/apps";
        public static final Cgroups DEFAULT = new Cgroups(DEFAULT_ROOT);
    }

    public App app(String name) {
        for (App a : apps) if (a.name().equals(name)) return a;
        return null;
    }

    public Pipe pipe(String name) {
        for (Pipe p : pipes) if (p.name().equals(name)) return p;
        return null;
    }
}
