package org.poolwarden.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;


import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

/**
 * CPU groups on the unified hierarchy: {@code cpu.weight} (the policy weight itself), {@code cpu.max},
 * {@code cpu.stat} and {@code cpu.pressure}. The cpu controller is enabled with {@code +cpu} in
 * {@code cgroup.subtree_control} of every cgroup from the mount down to our root, where it is missing (on a systemd
 * host the delegated slice already has it, see README). Processes leaving a removed group go back to the cgroup they
 * came from (recorded at their first move, see {@link ProcessOrigins}); when it is gone or refuses them (v2's "no
 * internal processes" rule, once it has children with controllers), to the hierarchy's root cgroup unless another
 * evacuation group is given.
 */
public final class CgroupV2CpuController extends AbstractCpuController {
    private final Path mount;
    private final Path root;
    private final Path evacuation;
    private final CgroupFs fs;
    private final Procfs proc;
    private boolean rootReady;

    public CgroupV2CpuController(Path mount, String root, WeightMapping mapping) {
        this(mount, root, mapping, mount, Path.of("/proc"), CgroupFs.REAL_SLEEP);
    }

    CgroupV2CpuController(Path mount, String root, WeightMapping mapping, Path evacuation, Path procRoot,
            CgroupFs.Sleeper sleeper) {
        super(mapping);
        GroupNames.checkRoot(root);
        this.mount = mount;
        this.root = mount.resolve(root);
        this.evacuation = evacuation;
        this.fs = new CgroupFs(counters, List.of(this.root), sleeper);
        fs.allowOutside(evacuation.resolve("cgroup.procs"));
        fs.allowProcsUnder(mount);
        for (Path p = this.root.getParent(); p != null && p.startsWith(mount); p = p.getParent()) {
            fs.allowOutside(p.resolve("cgroup.subtree_control"));
        }
        this.proc = new Procfs(procRoot, counters);
    }

    @Override
    public String name() {
        return "CgroupV2CpuController";
    }

    public Path root() {
        return root;
    }

    /** Makes the root and enables cpu for it and for its children, from the mount down; writes only what is missing. */
    @Override
    protected void ensureRoot() {
        if (rootReady && fs.isDirectory(root)) {
            return;
        }
        // refuse before the first mkdir when the hierarchy cannot give us cpu: nothing half-made
        Set<String> available = Set.of(fs.read(mount.resolve("cgroup.controllers")).strip().split("\\s+"));
        if (!available.contains("cpu")) {
            throw new KernelException("use cpu controller of", mount.toString(), 0, "cgroup.controllers lists '"
                    + String.join(" ", available).strip() + "': the cpu controller is bound elsewhere (a v1 hierarchy?)"
                    + " or disabled");
        }
        List<Path> chain = new ArrayList<>();
        for (Path p = root; p.startsWith(mount) && !p.equals(mount); p = p.getParent()) {
            chain.add(0, p);
        }
        for (Path p : chain) {
            if (!fs.isDirectory(p)) {
                fs.mkdir(p);
            }
        }
        chain.add(0, mount);
        for (Path p : chain) {
            Path ctl = p.resolve("cgroup.subtree_control");
            if (!List.of(fs.read(ctl).strip().split("\\s+")).contains("cpu")) {
                try {
                    fs.write(ctl, "+cpu");
                } catch (KernelException e) {
                    throw new KernelException("enable cpu controller in", ctl.toString(), e.errno(), e.errno() == Errno.EBUSY
                            ? "the cgroup has processes of its own (cgroup v2 allows controllers only for cgroups without them)"
                            : e.errno() == Errno.ENOENT ? "the cpu controller is not available here (bound to a v1 hierarchy?)" : null, e);
                }
            }
        }
        rootReady = true;
    }

    @Override
    protected boolean exists(String group) {
        return fs.isDirectory(root.resolve(group));
    }

    @Override
    protected void create(String group) {
        fs.mkdir(root.resolve(group));
    }

    @Override
    protected void destroy(String group) {
        if (fs.isDirectory(root.resolve(group))) {
            fs.rmdir(root.resolve(group));
        }
    }

    @Override
    protected Knobs readKnobs(String group) {
        Path d = root.resolve(group);
        long weight = fs.readLong(d.resolve("cpu.weight"));
        try {
            return new Knobs(weight, CfsQuota.parseCpuMax(fs.read(d.resolve("cpu.max"))));
        } catch (IllegalArgumentException e) {
            throw new KernelException("parse", d.resolve("cpu.max").toString(), 0, e.getMessage());
        }
    }

    @Override
    protected void writeWeight(String group, long rawWeight) {
        fs.write(root.resolve(group).resolve("cpu.weight"), Long.toString(rawWeight));
    }

    @Override
    protected void writeQuota(String group, CfsQuota have, CfsQuota quota) {
        fs.write(root.resolve(group).resolve("cpu.max"), quota.toCpuMax()); // quota and period in one write
    }

    @Override
    protected Set<Integer> readPids(String group) {
        return fs.readIds(root.resolve(group).resolve("cgroup.procs"));
    }

    @Override
    protected boolean movePid(String group, int pid) {
        return writePid(root.resolve(group).resolve("cgroup.procs"), pid);
    }

    @Override
    protected Set<Integer> movePids(String group, java.util.Collection<Integer> pids) {
        return toInts(fs.writeEach(root.resolve(group).resolve("cgroup.procs"), pids.stream().map(String::valueOf).toList()));
    }

    static Set<Integer> toInts(List<String> values) {
        Set<Integer> out = new java.util.HashSet<>();
        values.forEach(v -> out.add(Integer.parseInt(v)));
        return out;
    }

    /** One pid, through the same path as many; false when the process is gone (ESRCH). */
    private boolean writePid(Path procs, int pid) {
        return fs.writeEach(procs, List.of(Integer.toString(pid))).isEmpty();
    }

    /** In a domain cgroup every thread of a process is in the process's cgroup: nothing to fix. */
    @Override
    protected int fixThreads(String group, int pid) {
        return 0;
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
        String path = lines == null ? null : Procfs.pathFor(lines, "");
        if (path == null || start.isEmpty()) {
            return null;
        }
        try {
            ProcessOrigins.Origin o = new ProcessOrigins.Origin(start.getAsLong(), List.of(path));
            return ProcessOrigins.under(mount, path).startsWith(root) ? null : o;
        } catch (IllegalArgumentException e) {
            return null; // "/../x": outside our cgroup namespace, nowhere we could write
        }
    }

    @Override
    protected OptionalLong startTicks(int pid) {
        return proc.startTicks(pid);
    }

    /** Into the origin's cgroup.procs if it is still a cgroup outside our root; any refusal but ESRCH: false. */
    private boolean moveHome(int pid, ProcessOrigins.Origin origin) {
        Path home = ProcessOrigins.under(mount, origin.cgroups().get(0));
        if (home.startsWith(root) || !fs.isDirectory(home)) {
            return false;
        }
        try {
            fs.writeEach(home.resolve("cgroup.procs"), List.of(Integer.toString(pid)));
            return true;
        } catch (KernelException e) {
            return false; // e.g. EBUSY: it has children with controllers now
        }
    }

    @Override
    protected void evacuate(String group, Set<Integer> pids) {
        pids = returnHome(pids, this::moveHome);
        Path procs = evacuation.resolve("cgroup.procs");
        for (int round = 0; round < 4 && !pids.isEmpty(); round++) {
            counters.vanished.addAndGet(fs.writeEach(procs, pids.stream().map(String::valueOf).toList()).size());
            pids = readPids(group); // children forked meanwhile
        }
    }

    @Override
    protected List<String> names() {
        List<String> out = new ArrayList<>();
        for (String n : fs.listDirs(root)) {
            try {
                out.add(GroupNames.check(n));
            } catch (IllegalArgumentException e) {
                // not one we could have made
            }
        }
        return out;
    }

    @Override
    public OptionalLong totalCpuNanos() {
        try {
            Long usec = parseFlatKeyed(fs.read(root.resolve("cpu.stat"))).get("usage_usec");
            return usec == null ? OptionalLong.empty() : OptionalLong.of(usec * 1000);
        } catch (KernelException e) {
            return OptionalLong.empty(); // no root yet (monitor mode)
        }
    }

    @Override
    protected CpuUsage readUsage(String group) {
        Path d = root.resolve(group);
        Map<String, Long> stat = parseFlatKeyed(fs.read(d.resolve("cpu.stat")));
        OptionalLong pressure = OptionalLong.empty();
        try {
            pressure = parsePressureTotal(fs.read(d.resolve("cpu.pressure")));
        } catch (KernelException e) {
            if (!e.is(Errno.ENOENT) && !e.is(Errno.EOPNOTSUPP)) {
                throw e;
            }
        }
        return new CpuUsage(stat.getOrDefault("usage_usec", 0L) * 1000, stat.getOrDefault("throttled_usec", 0L) * 1000,
                stat.getOrDefault("nr_throttled", 0L), pressure);
    }

    @Override
    protected long rawWeight(long policyWeight) {
        return policyWeight;
    }

    @Override
    protected long policyWeight(long rawWeight) {
        return rawWeight;
    }

    /** Removes every group and then our root ({@code --cleanup}). Ancestors' subtree_control is left as found. */
    public void removeRoot() {
        for (String g : names()) {
            removeGroup(g);
        }
        fs.rmdir(root);
        rootReady = false;
    }

    /** "key value" lines ({@code cpu.stat}); lines that are not a key and a number are skipped. */
    static Map<String, Long> parseFlatKeyed(String text) {
        Map<String, Long> out = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2) {
                try {
                    out.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException ignored) {
                    // not a counter
                }
            }
        }
        return out;
    }

    /** The {@code total=} of the "some" line of a PSI file, in microseconds. */
    static OptionalLong parsePressureTotal(String text) {
        for (String line : text.split("\n")) {
            if (line.startsWith("some ")) {
                for (String f : line.split("\\s+")) {
                    if (f.startsWith("total=")) {
                        try {
                            return OptionalLong.of(Long.parseLong(f.substring(6)));
                        } catch (NumberFormatException e) {
                            return OptionalLong.empty();
                        }
                    }
                }
            }
        }
        return OptionalLong.empty();
    }
}
