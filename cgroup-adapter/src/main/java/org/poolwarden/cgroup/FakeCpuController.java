package org.poolwarden.cgroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link CpuController} over memory, for the agent's unit tests: a simulated process table (with parents), groups
 * with cgroup v2 semantics (cpu.weight = policy weight), settable usage, and {@link #outsideWrite} to play the other
 * writer whose change must be noticed as drift. Counts a write for every simulated kernel write, like the real ones.
 */
public final class FakeCpuController extends AbstractCpuController {
    private static final class Group {
        long rawWeight = CpuWeights.WEIGHT_DEFAULT;
        CfsQuota quota = CfsQuota.NONE;
        final Set<Integer> pids = new LinkedHashSet<>();
        long cpuNanos;
        long throttledNanos;
        long throttledPeriods;
    }

    private long totalNanos;
    private final Map<String, Group> groups = new TreeMap<>();
    /** Live processes and their parent (0 = none we know). */
    private final Map<Integer, Integer> processes = new HashMap<>();
    /** Processes outside our root and the cgroup each is in ("/" unless spawned elsewhere). */
    private final Map<Integer, String> outside = new HashMap<>();
    /** Cgroups outside our root that exist; "/" always does. */
    private final Set<String> outsideCgroups = new HashSet<>(Set.of("/"));
    /** Start time per live process: a pid spawned again is another process. */
    private final Map<Integer, Long> starts = new HashMap<>();
    private long nextStart = 1;
    private boolean rootMade;
    /** When set, the next quota write fails: lets tests check that an ensure is rolled back. */
    private RuntimeException failNextQuotaWrite;

    public FakeCpuController() {
        this(WeightMapping.LINEAR);
    }

    public FakeCpuController(WeightMapping mapping) {
        super(mapping);
    }

    @Override
    public String name() {
        return "FakeCpuController";
    }

    // ---- the simulated world -------------------------------------------------------------------------------

    /** A process appears (outside any of our groups). */
    public FakeCpuController spawn(int pid, int parent) {
        return spawnIn(pid, parent, "/");
    }

    /** A process appears in a cgroup outside our root (made if missing), e.g. "/system.slice/web.service". */
    public FakeCpuController spawnIn(int pid, int parent, String cgroup) {
        ProcessOrigins.checkPath(cgroup);
        processes.put(pid, parent);
        starts.put(pid, nextStart++);
        outsideCgroups.add(cgroup);
        outside.put(pid, cgroup);
        return this;
    }

    /** Someone removes a cgroup outside our root (its processes, if any, move to "/"). */
    public void removeOutsideCgroup(String cgroup) {
        outsideCgroups.remove(cgroup);
        outside.replaceAll((pid, c) -> c.equals(cgroup) ? "/" : c);
    }

    /** The cgroup outside our root the process is in, or null when it is in one of our groups or gone. */
    public String outsideCgroupOf(int pid) {
        return outside.get(pid);
    }

    /** A process exits; it leaves its group. */
    public void exit(int pid) {
        processes.remove(pid);
        starts.remove(pid);
        outside.remove(pid);
        groups.values().forEach(g -> g.pids.remove(pid));
    }

    public boolean alive(int pid) {
        return processes.containsKey(pid);
    }

    /** Where the process is: a group name, or null when outside our root. */
    public String groupOf(int pid) {
        for (Map.Entry<String, Group> e : groups.entrySet()) {
            if (e.getValue().pids.contains(pid)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Someone else moves a process out of our groups into a cgroup outside our root (made if missing). */
    public void outsideMove(int pid, String cgroup) {
        ProcessOrigins.checkPath(cgroup);
        groups.values().forEach(g -> g.pids.remove(pid));
        outsideCgroups.add(cgroup);
        outside.put(pid, cgroup);
    }

    /** Someone else writes a knob we manage. */
    public void outsideWrite(String group, long rawWeight, CfsQuota quota) {
        Group g = groups.get(group);
        g.rawWeight = rawWeight;
        g.quota = quota;
    }

    /** The group consumed CPU (and, with a cap, was throttled). */
    public void consume(String group, long cpuNanos, long throttledNanos, long throttledPeriods) {
        Group g = groups.get(group);
        g.cpuNanos += cpuNanos;
        totalNanos += cpuNanos;
        g.throttledNanos += throttledNanos;
        g.throttledPeriods += throttledPeriods;
    }

    public void failNextQuotaWrite(RuntimeException e) {
        failNextQuotaWrite = e;
    }

    // ---- primitives ----------------------------------------------------------------------------------------

    @Override
    protected void ensureRoot() {
        if (!rootMade) {
            rootMade = true;
            counters.mkdirs.incrementAndGet();
        }
    }

    @Override
    protected boolean exists(String group) {
        counters.reads.incrementAndGet();
        return groups.containsKey(group);
    }

    @Override
    protected void create(String group) {
        counters.mkdirs.incrementAndGet();
        groups.put(group, new Group());
    }

    @Override
    protected void destroy(String group) {
        Group g = groups.get(group);
        if (g == null) {
            return;
        }
        if (!g.pids.isEmpty()) {
            throw new IllegalStateException("fake: rmdir of a non-empty group " + group);
        }
        counters.rmdirs.incrementAndGet();
        groups.remove(group);
    }

    @Override
    protected Knobs readKnobs(String group) {
        counters.reads.addAndGet(2);
        Group g = groups.get(group);
        return new Knobs(g.rawWeight, g.quota);
    }

    @Override
    protected void writeWeight(String group, long rawWeight) {
        counters.writes.incrementAndGet();
        groups.get(group).rawWeight = rawWeight;
    }

    @Override
    protected void writeQuota(String group, CfsQuota have, CfsQuota quota) {
        if (failNextQuotaWrite != null) {
            RuntimeException e = failNextQuotaWrite;
            failNextQuotaWrite = null;
            throw e;
        }
        counters.writes.incrementAndGet();
        groups.get(group).quota = quota;
    }

    @Override
    protected Set<Integer> readPids(String group) {
        counters.reads.incrementAndGet();
        return Set.copyOf(groups.get(group).pids);
    }

    @Override
    protected boolean movePid(String group, int pid) {
        counters.writes.incrementAndGet();
        if (!processes.containsKey(pid)) {
            return false;
        }
        groups.values().forEach(g -> g.pids.remove(pid));
        outside.remove(pid);
        groups.get(group).pids.add(pid);
        return true;
    }

    @Override
    protected int fixThreads(String group, int pid) {
        return 0; // the fake has no threads apart from their process
    }

    @Override
    protected boolean processExists(int pid) {
        return processes.containsKey(pid);
    }

    @Override
    protected Set<Integer> descendants(int pid) {
        Set<Integer> out = new LinkedHashSet<>();
        List<Integer> frontier = new ArrayList<>(List.of(pid));
        while (!frontier.isEmpty()) {
            int p = frontier.remove(0);
            for (Map.Entry<Integer, Integer> e : processes.entrySet()) {
                if (e.getValue() == p && out.add(e.getKey())) {
                    frontier.add(e.getKey());
                }
            }
        }
        return out;
    }

    @Override
    protected ProcessOrigins.Origin originOf(int pid) {
        counters.reads.incrementAndGet();
        String c = outside.get(pid);
        return c == null ? null : new ProcessOrigins.Origin(starts.get(pid), List.of(c));
    }

    @Override
    protected OptionalLong startTicks(int pid) {
        counters.reads.incrementAndGet();
        Long s = starts.get(pid);
        return s == null ? OptionalLong.empty() : OptionalLong.of(s);
    }

    @Override
    protected void evacuate(String group, Set<Integer> pids) {
        Set<Integer> rest = returnHome(pids, (pid, origin) -> {
            String home = origin.cgroups().get(0);
            if (!outsideCgroups.contains(home)) {
                return false;
            }
            counters.writes.incrementAndGet();
            groups.get(group).pids.remove(pid);
            outside.put(pid, home);
            return true;
        });
        for (int pid : rest) {
            counters.writes.incrementAndGet();
            groups.get(group).pids.remove(pid);
            if (processes.containsKey(pid)) {
                outside.put(pid, "/");
            }
        }
        // exited meanwhile: they leave the group without a write
        pids.forEach(groups.get(group).pids::remove);
    }

    @Override
    protected List<String> names() {
        counters.reads.incrementAndGet();
        return new ArrayList<>(groups.keySet());
    }

    /** What every group ever consumed, removed ones included (as the kernel's root counter keeps it). */
    @Override
    public OptionalLong totalCpuNanos() {
        counters.reads.incrementAndGet();
        return OptionalLong.of(totalNanos);
    }

    @Override
    protected CpuUsage readUsage(String group) {
        counters.reads.incrementAndGet();
        Group g = groups.get(group);
        return new CpuUsage(g.cpuNanos, g.throttledNanos, g.throttledPeriods, OptionalLong.empty());
    }

    @Override
    protected long rawWeight(long policyWeight) {
        return policyWeight;
    }

    @Override
    protected long policyWeight(long rawWeight) {
        return rawWeight;
    }
}
