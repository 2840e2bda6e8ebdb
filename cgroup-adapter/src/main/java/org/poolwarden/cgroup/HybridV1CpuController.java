package org.poolwarden.cgroup;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

/**
 * CPU groups on cgroup v1 hierarchies (legacy and systemd's hybrid layout): {@code cpu.shares} and
 * {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us} in the cpu hierarchy, {@code cpuacct.usage} in the cpuacct
 * hierarchy. Where the two are separate mounts (as on our CI hosts) every group exists in both and a process is
 * written to both {@code cgroup.procs}; where they are co-mounted ({@code cpu,cpuacct}) the two paths are the same and
 * each write is done once.
 */
public final class HybridV1CpuController extends AbstractCpuController {
    private final Path cpuMount;
    private final Path acctMount;
    private final Path cpuRoot;
    private final Path acctRoot;
    private final boolean separate;
    private final Path cpuEvacuation;
    private final Path acctEvacuation;
    private final CgroupFs fs;
    private final Procfs proc;

    /**
     * @param cpuMount     where the v1 cpu controller is mounted
     * @param cpuacctMount where the v1 cpuacct controller is mounted (may equal {@code cpuMount})
     * @param root         our root under each mount, a relative path of safe components
     */
    public HybridV1CpuController(Path cpuMount, Path cpuacctMount, String root, WeightMapping mapping) {
        this(cpuMount, cpuacctMount, root, mapping, Path.of("/proc"), CgroupFs.REAL_SLEEP);
    }

    HybridV1CpuController(Path cpuMount, Path cpuacctMount, String root, WeightMapping mapping, Path procRoot,
            CgroupFs.Sleeper sleeper) {
        super(mapping);
        GroupNames.checkRoot(root);
        this.cpuMount = cpuMount;
        this.acctMount = cpuacctMount;
        this.cpuRoot = cpuMount.resolve(root);
        this.acctRoot = cpuacctMount.resolve(root);
        this.separate = !cpuRoot.equals(acctRoot);
        this.cpuEvacuation = cpuRoot.getParent();
        this.acctEvacuation = acctRoot.getParent();
        this.fs = new CgroupFs(counters, separate ? List.of(cpuRoot, acctRoot) : List.of(cpuRoot), sleeper);
        fs.allowOutside(cpuEvacuation.resolve("cgroup.procs"));
        fs.allowOutside(acctEvacuation.resolve("cgroup.procs"));
        fs.allowProcsUnder(cpuMount);
        fs.allowProcsUnder(cpuacctMount);
        this.proc = new Procfs(procRoot, counters);
    }

    @Override
    public String name() {
        return "HybridV1CpuController";
    }

    /** Our root in the cpu hierarchy. */
    public Path cpuRoot() {
        return cpuRoot;
    }

    /** Our root in the cpuacct hierarchy. */
    public Path cpuacctRoot() {
        return acctRoot;
    }

    private List<Path> dirs(String group) {
        return separate ? List.of(cpuRoot.resolve(group), acctRoot.resolve(group)) : List.of(cpuRoot.resolve(group));
    }

    @Override
    protected void ensureRoot() {
        for (Path r : separate ? List.of(cpuRoot, acctRoot) : List.of(cpuRoot)) {
            if (!fs.isDirectory(r)) {
                fs.mkdir(r);
            }
        }
    }

    @Override
    protected boolean exists(String group) {
        for (Path d : dirs(group)) {
            if (!fs.isDirectory(d)) {
                return false;
            }
        }
        return true;
    }

    @Override
    protected void create(String group) {
        for (Path d : dirs(group)) {
            fs.mkdir(d); // one may survive from an interrupted create: fine
        }
    }

    @Override
    protected void destroy(String group) {
        for (Path d : dirs(group)) {
            if (fs.isDirectory(d)) {
                fs.rmdir(d);
            }
        }
    }

    @Override
    protected Knobs readKnobs(String group) {
        Path d = cpuRoot.resolve(group);
        long shares = fs.readLong(d.resolve("cpu.shares"));
        long quota = fs.readLong(d.resolve("cpu.cfs_quota_us"));
        long period = fs.readLong(d.resolve("cpu.cfs_period_us"));
        return new Knobs(shares, CfsQuota.ofV1(quota, period));
    }

    @Override
    protected void writeWeight(String group, long rawWeight) {
        fs.write(cpuRoot.resolve(group).resolve("cpu.shares"), Long.toString(rawWeight));
    }

    @Override
    protected void writeQuota(String group, CfsQuota have, CfsQuota quota) {
        Path d = cpuRoot.resolve(group);
        if (have.periodMicros() != quota.periodMicros()) {
            // lift the quota first so that no intermediate quota/period pair can be refused
            fs.write(d.resolve("cpu.cfs_quota_us"), "-1");
            fs.write(d.resolve("cpu.cfs_period_us"), Long.toString(quota.periodMicros()));
        }
        fs.write(d.resolve("cpu.cfs_quota_us"), Long.toString(quota.limited() ? quota.quotaMicros() : -1));
    }

    /** The processes present in both hierarchies (a process in only one is not fully placed). */
    @Override
    protected Set<Integer> readPids(String group) {
        Set<Integer> cpu = fs.readIds(cpuRoot.resolve(group).resolve("cgroup.procs"));
        if (separate) {
            cpu.retainAll(fs.readIds(acctRoot.resolve(group).resolve("cgroup.procs")));
        }
        return cpu;
    }

    @Override
    protected boolean movePid(String group, int pid) {
        for (Path d : dirs(group)) {
            if (!writePid(d.resolve("cgroup.procs"), pid)) {
                return false;
            }
        }
        return true;
    }

    @Override
    protected Set<Integer> movePids(String group, java.util.Collection<Integer> pids) {
        List<String> values = pids.stream().map(String::valueOf).toList();
        Set<Integer> gone = new HashSet<>();
        for (Path d : dirs(group)) {
            List<String> refused = fs.writeEach(d.resolve("cgroup.procs"), values);
            gone.addAll(CgroupV2CpuController.toInts(refused));
            if (!refused.isEmpty()) {
                values = values.stream().filter(v -> !refused.contains(v)).toList();
            }
        }
        return gone;
    }

    /** One pid, through the same path as many; false when the process is gone (ESRCH). */
    private boolean writePid(Path procs, int pid) {
        return fs.writeEach(procs, List.of(Integer.toString(pid))).isEmpty();
    }

    /**
     * Writing to cgroup.procs moves every thread of the process; a thread that someone moved on its own through
     * {@code tasks} afterwards, or one that raced the move, is put right here through {@code tasks}.
     */
    @Override
    protected int fixThreads(String group, int pid) {
        Set<Integer> tids = proc.threads(pid);
        if (tids.size() <= 1) {
            return 0;
        }
        int fixed = 0;
        for (Path d : dirs(group)) {
            Set<Integer> inside = fs.readIds(d.resolve("tasks"));
            for (int tid : tids) {
                if (!inside.contains(tid)) {
                    try {
                        fs.write(d.resolve("tasks"), Integer.toString(tid));
                        fixed++;
                    } catch (KernelException e) {
                        if (!e.is(Errno.ESRCH)) {
                            throw e;
                        }
                    }
                }
            }
        }
        return fixed;
    }

    @Override
    protected boolean processExists(int pid) {
        return proc.exists(pid);
    }

    @Override
    protected Set<Integer> descendants(int pid) {
        return proc.descendants(pid);
    }

    @Override
    protected ProcessOrigins.Origin originOf(int pid) {
        List<String> lines = proc.cgroupLines(pid);
        OptionalLong start = proc.startTicks(pid);
        if (lines == null || start.isEmpty()) {
            return null;
        }
        String cpu = Procfs.pathFor(lines, "cpu");
        String acct = Procfs.pathFor(lines, "cpuacct");
        if (cpu == null || (separate && acct == null)) {
            return null;
        }
        try {
            ProcessOrigins.Origin o = new ProcessOrigins.Origin(start.getAsLong(), separate ? List.of(cpu, acct)
                    : List.of(cpu));
            boolean ours = ProcessOrigins.under(cpuMount, cpu).startsWith(cpuRoot)
                    || (separate && ProcessOrigins.under(acctMount, acct).startsWith(acctRoot));
            return ours ? null : o;
        } catch (IllegalArgumentException e) {
            return null; // outside our cgroup namespace
        }
    }

    @Override
    protected OptionalLong startTicks(int pid) {
        return proc.startTicks(pid);
    }

    /** Into the origin's cgroup in each hierarchy, if still there and outside our root; any refusal but ESRCH: false. */
    private boolean moveHome(int pid, ProcessOrigins.Origin origin) {
        List<Path> homes = separate ? List.of(ProcessOrigins.under(cpuMount, origin.cgroups().get(0)),
                ProcessOrigins.under(acctMount, origin.cgroups().get(origin.cgroups().size() - 1)))
                : List.of(ProcessOrigins.under(cpuMount, origin.cgroups().get(0)));
        for (Path h : homes) {
            if (fs.owned(h) || !fs.isDirectory(h)) {
                return false;
            }
        }
        try {
            for (Path h : homes) {
                fs.writeEach(h.resolve("cgroup.procs"), List.of(Integer.toString(pid)));
            }
            return true;
        } catch (KernelException e) {
            return false; // the evacuation that follows puts it into both hierarchies' evacuation groups
        }
    }

    @Override
    protected void evacuate(String group, Set<Integer> pids) {
        pids = returnHome(pids, this::moveHome);
        // a process forked meanwhile inherited the group: later rounds move it too, so rmdir does not stay EBUSY
        for (int round = 0; round < 4 && !pids.isEmpty(); round++) {
            List<String> values = pids.stream().map(String::valueOf).toList();
            for (Path target : separate ? List.of(cpuEvacuation, acctEvacuation) : List.of(cpuEvacuation)) {
                counters.vanished.addAndGet(fs.writeEach(target.resolve("cgroup.procs"), values).size());
            }
            pids = new HashSet<>();
            for (Path d : dirs(group)) {
                pids.addAll(fs.readIds(d.resolve("cgroup.procs")));
            }
        }
    }

    @Override
    protected List<String> names() {
        Set<String> out = new TreeSet<>(fs.listDirs(cpuRoot));
        if (separate) {
            out.addAll(fs.listDirs(acctRoot));
        }
        out.removeIf(n -> {
            try {
                GroupNames.check(n);
                return false;
            } catch (IllegalArgumentException e) {
                return true; // not one we could have made
            }
        });
        return List.copyOf(out);
    }

    @Override
    public OptionalLong totalCpuNanos() {
        try {
            return OptionalLong.of(fs.readLong(acctRoot.resolve("cpuacct.usage")));
        } catch (KernelException e) {
            return OptionalLong.empty(); // no root yet (monitor mode) or no cpuacct
        }
    }

    @Override
    protected CpuUsage readUsage(String group) {
        long usage = fs.readLong(acctRoot.resolve(group).resolve("cpuacct.usage"));
        Map<String, Long> stat = CgroupV2CpuController.parseFlatKeyed(fs.read(cpuRoot.resolve(group).resolve("cpu.stat")));
        // v1 keeps no per-group pressure; say so instead of reporting 0
        return new CpuUsage(usage, stat.getOrDefault("throttled_time", 0L), stat.getOrDefault("nr_throttled", 0L),
                OptionalLong.empty());
    }

    @Override
    protected long rawWeight(long policyWeight) {
        return mapping.weightToShares(policyWeight);
    }

    @Override
    protected long policyWeight(long rawWeight) {
        return mapping.sharesToWeight(rawWeight);
    }

    /** Removes our root in both hierarchies after removing every group in it ({@code --cleanup}). */
    public void removeRoot() {
        for (String g : names()) {
            removeGroup(g);
        }
        for (Path r : separate ? List.of(cpuRoot, acctRoot) : List.of(cpuRoot)) {
            fs.rmdir(r);
        }
    }
}
