package org.poolwarden.enforce;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.poolwarden.agent.Sampler;
import org.poolwarden.cgroup.CpuUsage;
import org.poolwarden.config.App;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.FlowMatcher;
import org.poolwarden.detect.Inventory;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.nft.AppCounters;
import org.poolwarden.store.Sample;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.BandwidthStats;

/**
 * Measures the apps once per slow tick, in both modes, from the counters that exist in each:
 *
 * <ul>
 *   <li>CPU: the app's cgroup ({@code cpuacct.usage} / {@code cpu.stat}) while it is enforced, else the sum of its
 *       processes' {@code utime + stime} from /proc (monitor mode creates no group). Metrics {@code cpu.cores}
 *       (CPUs used) and {@code cpu.percent} (of the whole host), plus {@code cpu.throttled_s} under a cap.</li>
 *   <li>Network, both modes: TCP payload per app from sock_diag (sockets owned by the app's processes, else matched
 *       by its flow rules): {@code net.out.bits_per_s}, {@code net.in.bits_per_s}. While enforced also the app's HTB
 *       class on each pipe (bytes on the wire): {@code pipe.NAME.out.bits_per_s}, {@code pipe.NAME.out.drops}, and the
 *       classifier's per-app counter {@code flows.bytes}.</li>
 * </ul>
 * Rates cover the time since the previous sample; the first sample of a source only sets its baseline, so a value
 * is never made up. Not thread-safe: the control thread owns it.
 */
public final class KernelSampler implements Sampler {
    /** USER_HZ: what /proc/PID/stat counts CPU time in; 100 on every Linux architecture we run on. */
    public static final long CLOCK_TICKS_PER_SECOND = 100;
    /**
     * The fd tables are walked at most every 5th sample (10 s at the default tick): a new connection's owner may be
     * known that much later, and its bytes until then are counted when it is (totals stay right).
     */
    public static final int FD_SCAN_MIN_SAMPLES = 5;

    private final Supplier<PoolwardenConfig> config;
    private final KernelEnforcer enforcer;
    private final SockDiag sockDiag;
    private final Path proc;
    private final int cpus;
    /** Where /proc CPU times come from when set: the detector's scan of this tick (one read of each stat file). */
    private final ProcessDetector detector;

    private long lastNanos = Long.MIN_VALUE;
    /** Per app: the cumulative CPU nanoseconds at the last sample and where they came from. */
    private final Map<String, long[]> cpuLast = new HashMap<>();
    /** Per process (pid → start time, ticks) for the /proc source. */
    private final Map<Integer, long[]> procTicks = new HashMap<>();
    /** Per socket cookie: bytes acked and received at the last sample. */
    private Map<Long, long[]> sockets = new HashMap<>();
    private boolean socketBaseline;
    /** Apps that held attributed TCP sockets at the last sample. */
    private Set<String> appsWithSockets = Set.of();
    /** Socket inode → the app whose process holds it, and inodes no app process held, as of the last fd walk. */
    private final Map<Long, String> inodeOwners = new HashMap<>();
    private final Set<Long> inodeUnowned = new HashSet<>();
    private int samplesSinceFdScan = FD_SCAN_MIN_SAMPLES;
    private Inventory fdScanInventory;
    private PoolwardenConfig fdScanConfig;
    private FlowMatcher flowMatcher;
    private PoolwardenConfig flowMatcherConfig;
    private Set<String> groups = Set.of();
    /** The apps whose CPU came from their cgroup at the last sample (the detector reads their processes less). */
    private volatile Set<String> cgroupMeasured = Set.of();
    private DesiredKernel groupsOf;
    private boolean psiAvailable = true;
    /** Per pipe and app: HTB class bytes at the last sample. */
    private final Map<String, long[]> classBytes = new HashMap<>();
    private final Counters counters = new Counters();
    /**
     * Apps whose group used nothing between its last two reads, with what that read gave: they are read again only
     * when our root's counter shows use that the groups read do not explain, or every {@link #IDLE_READ_EVERY}th
     * sample.
     */
    private final Map<String, CpuUsage> idle = new HashMap<>();
    private final Map<String, CpuUsage> lastUsage = new HashMap<>();
    private long rootLast = -1;
    /** Idle groups not read in this sample; groups whose last pressure averages were all 0. */
    private final Set<String> skipped = new HashSet<>();
    private final Set<String> psiQuiet = new HashSet<>();
    /** CPU time our root counted that no group read since has accounted for (idle groups that woke up). */
    private long unexplained;
    private long cpuSamples;

    /**
     * Idle groups are read when the unexplained use reaches 1 ms (0.05% of a core over the 2 s tick): below that,
     * up to 1 ms of some idle app's use is reported a tick late, never lost (it is in its next read).
     */
    public static final long UNEXPLAINED_NANOS = 1_000_000;
    /** A safety net for the root counter: every group is read at least every 30th sample (60 s). */
    public static final int IDLE_READ_EVERY = 30;

    public static final class Counters {
        public volatile long samples, sockDiagFailures, cgroupFailures, cgroupReads, procReads, tcReads, fdScans,
                /** Group reads saved: idle groups whose use the root counter showed to be zero. */
                cgroupIdleSkips;
    }

    /**
     * @param sockDiag null: no per-app network measure outside enforcement
     * @param proc     /proc (tests: a fake tree)
     */
    public KernelSampler(Supplier<PoolwardenConfig> config, KernelEnforcer enforcer, SockDiag sockDiag, Path proc,
                         int cpus) {
        this(config, enforcer, sockDiag, proc, cpus, null);
    }

    /**
     * @param detector the agent's detector, which scans /proc just before each sample: per-process CPU times come
     *                 from its reads instead of a second pass over the stat files (null: read them here)
     */
    public KernelSampler(Supplier<PoolwardenConfig> config, KernelEnforcer enforcer, SockDiag sockDiag, Path proc,
                         int cpus, ProcessDetector detector) {
        this.detector = detector;
        // Apps measured by their cgroup need no per-process CPU times: the detector reads their processes less often.
        if (detector != null) detector.setCpuWanted(app -> !cgroupMeasured.contains(app));
        this.config = config;
        this.enforcer = enforcer;
        this.sockDiag = sockDiag;
        this.proc = proc;
        this.cpus = cpus;
    }

    @Override
    public List<Sample> sample(Inventory inventory, long nowNanos) {
        counters.samples++;
        PoolwardenConfig c = config.get();
        double dt = lastNanos == Long.MIN_VALUE ? 0 : (nowNanos - lastNanos) / 1e9;
        lastNanos = nowNanos;
        List<Sample> out = new ArrayList<>();
        boolean enforced = enforcer != null && enforcer.lastApplied() != null;
        cpu(c, inventory, enforced, dt, out);
        net(c, inventory, dt, out);
        if (enforced) pipes(enforcer.lastApplied(), dt, out);
        else classBytes.clear();
        return out;
    }

    /**
     * The groups' usage for this sample. An idle group (no use between its last two reads) is not read while our
     * root's counter, read once, shows that all the use since the last sample is accounted for by the groups that
     * were read: its counters are then exactly what they were, and the last read is used again.
     */
    private Map<String, Optional<CpuUsage>> groupUsage(PoolwardenConfig c, Set<String> groups) {
        Map<String, Optional<CpuUsage>> got = new HashMap<>();
        skipped.clear();
        if (groups.isEmpty()) return got;
        cpuSamples++;
        java.util.OptionalLong root = enforcer.ports().cpu().totalCpuNanos();
        boolean skipIdle = root.isPresent() && rootLast >= 0 && root.getAsLong() >= rootLast
                && cpuSamples % IDLE_READ_EVERY != 0;
        long readDelta = 0;
        for (App a : c.apps()) {
            if (!groups.contains(a.name()) || (skipIdle && idle.containsKey(a.name()))) continue;
            readDelta += read(a.name(), got);
        }
        if (skipIdle) {
            unexplained += root.getAsLong() - rootLast - readDelta;
            if (unexplained >= UNEXPLAINED_NANOS) {
                // Some idle group used CPU: read them all now.
                for (String app : new ArrayList<>(idle.keySet())) {
                    if (groups.contains(app)) unexplained -= read(app, got);
                }
            }
            for (Map.Entry<String, CpuUsage> e : idle.entrySet()) {
                if (got.containsKey(e.getKey()) || !groups.contains(e.getKey())) continue;
                got.put(e.getKey(), Optional.of(e.getValue()));
                skipped.add(e.getKey());
                counters.cgroupIdleSkips++;
            }
        } else {
            unexplained = 0;
        }
        // Never let an old error build up: what stays unexplained after the idle ones were read is jitter.
        if (unexplained < 0 || unexplained >= UNEXPLAINED_NANOS) unexplained = 0;
        rootLast = root.isPresent() ? root.getAsLong() : -1;
        lastUsage.keySet().retainAll(groups);
        idle.keySet().retainAll(groups);
        psiQuiet.retainAll(groups);
        return got;
    }

    /** Reads one group into {@code got}; returns its CPU nanoseconds since its last read (0 the first time). */
    private long read(String app, Map<String, Optional<CpuUsage>> got) {
        Optional<CpuUsage> u;
        try {
            u = enforcer.ports().cpu().usage(app);
        } catch (RuntimeException e) {
            counters.cgroupFailures++; // this app falls back to /proc for this sample
            u = Optional.empty();
        }
        got.put(app, u);
        counters.cgroupReads++;
        CpuUsage before = lastUsage.get(app);
        if (u.isEmpty()) {
            lastUsage.remove(app);
            idle.remove(app);
            return 0;
        }
        CpuUsage now = u.get();
        lastUsage.put(app, now);
        long delta = before == null ? 0 : Math.max(0, now.cpuNanos() - before.cpuNanos());
        // Idle: nothing used since the last read. Where the group has pressure averages (v2) they decay while idle,
        // so such a group is idle only once they were all 0 and no stall time was added since.
        boolean psiStill = now.pressureSomeMicros().isEmpty()
                || (psiQuiet.contains(app) && now.pressureSomeMicros().equals(before == null ? null
                        : before.pressureSomeMicros()));
        if (before != null && delta == 0 && psiStill) idle.put(app, now);
        else idle.remove(app);
        return delta;
    }

    private void cpu(PoolwardenConfig c, Inventory inv, boolean enforced, double dt, List<Sample> out) {
        Map<Integer, Long> ticksNow = detector == null ? procTicks(inv) : null;
        Set<String> groups = enforced ? groups(enforcer.lastApplied()) : Set.of();
        Set<String> measured = new HashSet<>();
        Map<String, Optional<CpuUsage>> usage = groupUsage(c, groups);
        for (App a : c.apps()) {
            long source;
            long nanos;
            // Only apps with a group of ours have one to read: asking for the others costs a lookup each.
            Optional<CpuUsage> u = usage.getOrDefault(a.name(), Optional.empty());
            if (u.isPresent()) {
                measured.add(a.name());
                source = 1;
                CpuUsage cu = u.get();
                nanos = cu.cpuNanos();
                if (cu.throttledNanos() > 0 || cu.throttledPeriods() > 0) {
                    out.add(new Sample(a.name(), "cpu.throttled_s", cu.throttledNanos() / 1e9));
                    out.add(new Sample(a.name(), "cpu.throttled_periods", cu.throttledPeriods()));
                }
                if (cu.pressureSomeMicros().isPresent()) {
                    // An idle group not read this time had all-zero averages and no stall since: they are still 0.
                    double[] psi = skipped.contains(a.name())
                            ? new double[] {0, 0, 0, cu.pressureSomeMicros().getAsLong()} : groupPressure(a.name());
                    if (psi != null) pressure(a.name(), psi, out);
                    if (psi != null && psi[0] == 0 && psi[1] == 0 && psi[2] == 0) psiQuiet.add(a.name());
                    else psiQuiet.remove(a.name());
                }
            } else {
                source = 2;
                long sum = 0;
                if (ticksNow != null) {
                    for (int pid : inv.pids(a.name())) sum += ticksNow.getOrDefault(pid, 0L);
                } else {
                    for (int pid : inv.pids(a.name())) sum += detector.cpuTicksSinceLastScan(pid);
                }
                long[] last = cpuLast.get(a.name());
                // /proc: only time the app's processes spent since they were first seen, added up per process
                nanos = (last != null && last[1] == 2 ? last[0] : 0) + sum * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
            }
            long[] last = cpuLast.get(a.name());
            if (dt > 0 && last != null && last[1] == source && nanos >= last[0]) {
                double cores = (nanos - last[0]) / 1e9 / dt;
                out.add(new Sample(a.name(), "cpu.cores", cores));
                out.add(new Sample(a.name(), "cpu.percent", cores * 100 / cpus));
            }
            if (last == null) cpuLast.put(a.name(), new long[] {nanos, source});
            else {
                last[0] = nanos;
                last[1] = source;
            }
        }
        cgroupMeasured = measured;
        hostPressure(out);
    }

    /** The names of the CPU groups of the last applied state (cached: the same object until the next apply). */
    private Set<String> groups(DesiredKernel d) {
        if (d == null) return Set.of();
        if (d != groupsOf) {
            Set<String> g = new HashSet<>();
            for (org.poolwarden.cgroup.CpuController.Desired x : d.cpu()) g.add(x.group().name());
            groups = g;
            groupsOf = d;
        }
        return groups;
    }

    /**
     * CPU pressure (PSI "some": the share of time in which some runnable task of the group waited for a CPU), as the
     * kernel averages it over 10, 60 and 300 s, in percent, and the cumulative stall in seconds.
     */
    private static void pressure(String subject, double[] psi, List<Sample> out) {
        out.add(new Sample(subject, "cpu.pressure.some_avg10", psi[0]));
        out.add(new Sample(subject, "cpu.pressure.some_avg60", psi[1]));
        out.add(new Sample(subject, "cpu.pressure.some_avg300", psi[2]));
        out.add(new Sample(subject, "cpu.pressure.some_s", psi[3] / 1e6));
    }

    /** An app group's cpu.pressure: on cgroup v2 only (v1 keeps no per-group pressure); null when there is none. */
    private double[] groupPressure(String app) {
        if (!(enforcer.ports().cpu() instanceof org.poolwarden.cgroup.CgroupV2CpuController v2)) return null;
        return readPressureSome(v2.root().resolve(app).resolve("cpu.pressure"));
    }

    /** The host's CPU pressure from /proc/pressure/cpu, where the kernel has PSI (4.20+, not disabled at boot). */
    private void hostPressure(List<Sample> out) {
        if (!psiAvailable) return;
        double[] psi = readPressureSome(proc.resolve("pressure/cpu"));
        if (psi == null) {
            psiAvailable = false; // not there (old kernel, psi=0): never look again, and never report a made-up 0
            return;
        }
        pressure("host", psi, out);
    }

    static double[] readPressureSome(Path file) {
        try {
            return parsePressureSome(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The "some" line of a PSI file ({@code some avg10=1.50 avg60=0.80 avg300=0.20 total=123456}): {avg10, avg60,
     * avg300 (percent), total (µs)}; null when it is missing or malformed.
     */
    static double[] parsePressureSome(String text) {
        for (String line : text.split("\n")) {
            if (!line.startsWith("some ")) continue;
            double[] v = new double[4];
            String[] keys = {"avg10=", "avg60=", "avg300=", "total="};
            int found = 0;
            for (String f : line.substring(5).trim().split("\\s+")) {
                for (int k = 0; k < keys.length; k++) {
                    if (!f.startsWith(keys[k])) continue;
                    try {
                        v[k] = Double.parseDouble(f.substring(keys[k].length()));
                        found |= 1 << k;
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }
            return found == 0b1111 ? v : null;
        }
        return null;
    }

    /** Ticks each app process used since the previous sample (0 for one seen for the first time). */
    private Map<Integer, Long> procTicks(Inventory inv) {
        Map<Integer, Long> delta = new HashMap<>();
        Set<Integer> seen = new HashSet<>();
        for (Inventory.Instance i : inv.apps().values()) {
            for (int pid : i.pids()) {
                long[] st = readStat(pid);
                if (st == null) continue;
                seen.add(pid);
                long[] prev = procTicks.put(pid, st);
                delta.put(pid, prev != null && prev[0] == st[0] ? Math.max(0, st[1] - prev[1]) : 0);
            }
        }
        procTicks.keySet().retainAll(seen);
        return delta;
    }

    /** {start time, utime + stime} from /proc/PID/stat, or null when the process is gone. */
    private long[] readStat(int pid) {
        counters.procReads++;
        String s;
        try {
            s = Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat"));
        } catch (IOException e) {
            return null;
        }
        int close = s.lastIndexOf(')');
        if (close < 0) return null;
        String[] f = s.substring(close + 2).trim().split(" ");
        // after the name: f[0] is field 3 (state); utime = field 14, stime = 15, starttime = 22
        if (f.length < 20) return null;
        try {
            return new long[] {Long.parseLong(f[19]), Long.parseLong(f[11]) + Long.parseLong(f[12])};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void net(PoolwardenConfig c, Inventory inv, double dt, List<Sample> out) {
        if (sockDiag == null) return;
        List<SockDiag.Entry> entries;
        try {
            entries = sockDiag.tcp();
        } catch (RuntimeException e) {
            counters.sockDiagFailures++;
            return;
        }
        refreshOwners(c, inv, entries);
        if (c != flowMatcherConfig) {
            flowMatcher = new FlowMatcher(c.apps());
            flowMatcherConfig = c;
        }
        Map<String, long[]> perApp = new HashMap<>();
        Map<Long, long[]> now = new HashMap<>();
        for (SockDiag.Entry e : entries) {
            long inode = e.socket().inode();
            String app = inodeOwners.get(inode);
            if (app == null) app = flowMatcher.match(e.socket());
            if (app == null) {
                // Not attributed yet (opened since the last fd scan): no baseline, so that when the next scan finds
                // its owner all its bytes so far are counted. Known to be nobody's: a baseline like any other.
                if (inodeUnowned.contains(inode)) now.put(e.cookie(), new long[] {e.bytesAcked(), e.bytesReceived()});
                continue;
            }
            now.put(e.cookie(), new long[] {e.bytesAcked(), e.bytesReceived()});
            long[] prev = sockets.get(e.cookie());
            // a socket not seen before was opened since the last sample: all its bytes are new
            long out0 = prev == null ? 0 : prev[0];
            long in0 = prev == null ? 0 : prev[1];
            long[] sum = perApp.computeIfAbsent(app, k -> new long[2]);
            sum[0] += Math.max(0, e.bytesAcked() - out0);
            sum[1] += Math.max(0, e.bytesReceived() - in0);
        }
        boolean rates = socketBaseline && dt > 0;
        sockets = now;
        socketBaseline = true;
        Set<String> previous = appsWithSockets;
        appsWithSockets = perApp.keySet();
        if (!rates) return;
        for (App a : c.apps()) {
            // Apps with TCP sockets now or at the last sample (so the fall to 0 is recorded once); an app without
            // any has no traffic to report, and hundreds of zero rows per tick would cost the store more than all
            // the rest.
            if (!appsWithSockets.contains(a.name()) && !previous.contains(a.name())) continue;
            long[] s = perApp.getOrDefault(a.name(), new long[2]);
            out.add(new Sample(a.name(), "net.out.bits_per_s", s[0] * 8 / dt));
            out.add(new Sample(a.name(), "net.in.bits_per_s", s[1] * 8 / dt));
        }
    }

    /**
     * Finds which app's process holds each TCP socket by walking the apps' processes' fd tables, which costs a
     * directory read per process and a readlink per descriptor: thousands of calls on a big host. So it is done only
     * when it can change the answer (a socket of unknown owner, or processes or rules changed since the last walk),
     * and at most every {@link #FD_SCAN_MIN_SAMPLES}th sample. What the walk finds is kept per socket inode, for the
     * sockets sock_diag still reports.
     */
    private void refreshOwners(PoolwardenConfig c, Inventory inv, List<SockDiag.Entry> entries) {
        samplesSinceFdScan++;
        if (entries.isEmpty()) {
            inodeOwners.clear();
            inodeUnowned.clear();
            return;
        }
        boolean stale = inv != fdScanInventory || c != fdScanConfig;
        boolean unknown = false;
        for (SockDiag.Entry e : entries) {
            long inode = e.socket().inode();
            if (!inodeOwners.containsKey(inode) && !inodeUnowned.contains(inode)) {
                unknown = true;
                break;
            }
        }
        if ((!unknown && !stale) || samplesSinceFdScan < FD_SCAN_MIN_SAMPLES) return;
        Map<Long, String> all = socketOwners(c, inv);
        counters.fdScans++;
        samplesSinceFdScan = 0;
        fdScanInventory = inv;
        fdScanConfig = c;
        inodeOwners.clear();
        inodeUnowned.clear();
        for (SockDiag.Entry e : entries) {
            long inode = e.socket().inode();
            String app = all.get(inode);
            if (app != null) inodeOwners.put(inode, app);
            else inodeUnowned.add(inode);
        }
    }

    /** Socket inode → app, for the sockets the apps' processes hold (process-defined apps). */
    private Map<Long, String> socketOwners(PoolwardenConfig c, Inventory inv) {
        Map<Long, String> out = new HashMap<>();
        for (App a : c.apps()) {
            if (a.processRules().isEmpty()) continue;
            for (int pid : inv.pids(a.name())) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(pid + "/fd"))) {
                    for (Path fd : fds) {
                        String target;
                        try {
                            target = Files.readSymbolicLink(fd).toString();
                        } catch (IOException e) {
                            continue;
                        }
                        if (target.startsWith("socket:[")) {
                            out.putIfAbsent(Long.parseLong(target.substring(8, target.length() - 1)), a.name());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // exited, or not ours to read: its sockets fall back to the flow rules
                }
            }
        }
        return out;
    }

    private void pipes(DesiredKernel d, double dt, List<Sample> out) {
        PoolwardenConfig c = config.get();
        for (Map.Entry<String, BandwidthSpec> e : d.pipes().entrySet()) {
            BandwidthStats s;
            try {
                s = enforcer.ports().tc().stats(e.getValue().device());
                counters.tcReads++;
            } catch (RuntimeException x) {
                continue;
            }
            for (BandwidthSpec.AppClass cl : e.getValue().egress().apps()) {
                for (BandwidthStats.ClassCounters cc : s.egress()) {
                    if (cc.minor() != cl.minor()) continue;
                    String key = e.getKey() + "/" + cl.app();
                    long[] prev = classBytes.put(key, new long[] {cc.bytes(), cc.packets()});
                    if (prev != null && dt > 0 && cc.bytes() >= prev[0] && cc.packets() >= prev[1]) {
                        out.add(new Sample(cl.app(), "pipe." + e.getKey() + ".out.bits_per_s",
                                (cc.bytes() - prev[0]) * 8 / dt));
                        out.add(new Sample(cl.app(), "pipe." + e.getKey() + ".out.packets_per_s",
                                (cc.packets() - prev[1]) / dt));
                    }
                    out.add(new Sample(cl.app(), "pipe." + e.getKey() + ".out.drops", cc.drops()));
                }
            }
        }
        try {
            AppCounters nft = enforcer.ports().nft().counters();
            // Only apps the classifier has a counter for (those shaped on some pipe): the others would read as a
            // made-up 0.
            Set<String> shaped = new HashSet<>();
            for (BandwidthSpec b : d.pipes().values()) for (BandwidthSpec.AppClass cl : b.egress().apps()) {
                shaped.add(cl.app());
            }
            for (App a : c.apps()) {
                if (!shaped.contains(a.name())) continue;
                org.poolwarden.nft.Traffic t = nft.of(DesiredKernel.nftName(a.name()));
                out.add(new Sample(a.name(), "flows.bytes", t.bytes()));
                out.add(new Sample(a.name(), "flows.packets", t.packets()));
            }
        } catch (RuntimeException x) {
            // table gone between apply and read: next tick
        }
    }

    public Counters counters() {
        return counters;
    }
}
