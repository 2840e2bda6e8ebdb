package org.poolwarden.detect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.config.App;

/**
 * Sorts the host's processes into apps, incrementally: each {@link #scan()} (one per slow tick) lists /proc and
 * classifies only processes it has not seen (a pid with a new start time is a new process) or whose name changed (an
 * exec). Everything else keeps its app from the previous scan.
 *
 * <p>Cost: listing /proc is one directory read; a new process costs its stat file plus whatever its rules need
 * (cmdline, environ, status). A process of some app has its stat file read on every scan, because the CPU sampler
 * takes its CPU time from that same read ({@link #cpuTicksSinceLastScan}), unless the sampler measures that app by
 * its cgroup ({@link #setCpuWanted}); the stat files are held open on the real /proc ({@link ProcReader}), so such a
 * read is one pread. A process in no app is re-read every scan while it is
 * young ({@link #YOUNG_SCANS}: a fork is often followed by an exec), and after that only every
 * {@link #RECHECK_EVERY_SCANS}th scan, staggered by pid, to notice a late exec or a pid reused after wrap-around.
 * The process table is kept across scans and updated in place; the inventory is rebuilt only when some app gained or
 * lost a process.
 *
 * <p>Which app a process belongs to:
 * <ol>
 *   <li>its direct match: the first app, in config order, with a process rule matching it;</li>
 *   <li>its inherited app: the app of its nearest ancestor that was matched by a rule with {@code includeChildren};</li>
 *   <li>of these two, the one that comes first in config order wins. Inheritance continues to grandchildren as long
 *       as the inherited app is the one chosen.</li>
 * </ol>
 * A process already classified keeps its app when its parent changes app later (reparenting to init does not move
 * it); a rule reload ({@link #setApps}) reclassifies everything on the next scan.
 *
 * <p>Not thread-safe: owned by the control loop.
 */
public final class ProcessDetector {
    /** Re-read a process every scan for its first scans: fork-then-exec usually completes within them. */
    public static final int YOUNG_SCANS = 3;
    /** Then every 5th scan (10 s at the default slow tick): bounds how long a late exec or pid reuse goes unseen. */
    public static final int RECHECK_EVERY_SCANS = 5;
    /**
     * With process events, /proc is still listed every 30th scan (60 s at the default tick): a safety net for events
     * the kernel could not send or we could not read without noticing. A noticed loss (overrun) walks at once.
     */
    public static final int EVENT_WALK_EVERY_SCANS = 30;

    private static final class Tracked {
        int seenScans;
        final int pid;
        final long startTime;
        String comm;
        int ppid;
        String app;
        /** The app this process's children inherit, or null. */
        String passesOn;
        int rulesVersion = -1;
        /** The scan that last listed it: one still behind after a scan has exited. */
        long listedScan;
        /** The app before this scan's classification, for the moved events. */
        String appBefore;
        boolean isNew = true;
        /** Set while it waits for classification in this scan. */
        ProcStat pending;
        /** utime + stime at the last two stat reads, and the scans they were made in. */
        long cpuTicks, cpuTicksBefore;
        long cpuScan = -1, cpuScanBefore = -1;

        Tracked(int pid, long startTime) {
            this.pid = pid;
            this.startTime = startTime;
        }
    }

    private final ProcReader reader;
    private final IdNames ids;
    private final String host;
    private ProcessMatcher matcher;
    private List<String> appNames = List.of();
    private Map<String, Integer> appIndex = Map.of();
    private int rulesVersion;
    private String rulesKey;
    private java.util.function.Predicate<String> cpuWanted = app -> true;
    private long unchangedRuleReloads;
    /** Null: no process events, /proc is listed on every scan. */
    private ProcessEvents events;
    private final ProcChanges changes = new ProcChanges();
    private long lastWalkScan;
    private boolean walkForced = true;
    private int walkedRulesVersion = -1;
    private long eventScans, walks, lostWalks, eventFailures;
    /** Every process listed by the last scan; kept across scans (entries are updated in place, not rebuilt). */
    private final IntTable<Tracked> table = new IntTable<>();
    /** Reused by each scan's sweep for the processes that were not listed. */
    private final List<Tracked> gone = new ArrayList<>();
    private Inventory inventory;
    private boolean inventoryStale = true;

    // Counters (observability): read by the agent's metrics.
    private long scans, classified, scanFailures;
    private int lastScanProcesses;

    public ProcessDetector(ProcReader reader, IdNames ids, String host, List<App> apps) {
        this.reader = reader;
        this.ids = ids;
        this.host = host;
        setApps(apps);
        this.inventory = new Inventory(host, Map.of(), 0, 0);
    }

    /**
     * New rules: every process is classified again on the next scan; changes come out as {@code moved}. A config
     * whose apps have the same names, order and process rules as now (a reload that changed only policies or flow
     * rules, the common case) keeps every classification: reading every process's command line again would only
     * find the same apps. Rules naming users or groups always reclassify (the names may map to other ids now).
     */
    public void setApps(List<App> apps) {
        String key = rulesKey(apps);
        if (key != null && key.equals(this.rulesKey)) {
            unchangedRuleReloads++;
            return;
        }
        this.rulesKey = key;
        this.matcher = new ProcessMatcher(apps, ids);
        this.appNames = matcher.apps();
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < appNames.size(); i++) idx.put(appNames.get(i), i);
        this.appIndex = idx;
        rulesVersion++;
        inventoryStale = true;
    }

    /**
     * One pass over /proc. A process in some app has its stat file read on every scan: that one read gives the
     * detector its name and parent and the sampler its CPU time ({@link #cpuTicksSinceLastScan}), so /proc is read
     * once per slow tick for both. A process in no app is read while young and then every
     * {@link #RECHECK_EVERY_SCANS}th scan.
     */
    /** What classification depends on, as text (records print every field, a regex its pattern); null: always new. */
    private static String rulesKey(List<App> apps) {
        StringBuilder b = new StringBuilder();
        for (App a : apps) {
            for (org.poolwarden.config.ProcessRule r : a.processRules()) {
                if (r.user() != null || r.group() != null) return null;
            }
            b.append(a.name()).append('\0').append(a.includeChildren()).append('\0').append(a.processRules())
                    .append('\n');
        }
        return b.toString();
    }

    /**
     * Which apps' processes the CPU sampler takes per-process times for (default: all). The processes of the others
     * (apps measured by their cgroup while enforced) are re-read like processes in no app: young ones every scan,
     * then every {@link #RECHECK_EVERY_SCANS}th.
     */
    public void setCpuWanted(java.util.function.Predicate<String> appWantsCpu) {
        this.cpuWanted = appWantsCpu;
    }

    /**
     * Learn about new, exec'd and exited processes from the kernel ({@link ProcConnector}) instead of listing /proc
     * and re-reading processes every scan: a scan then reads only the processes that had events, plus those whose
     * CPU time the sampler wants. /proc is still walked on the first scan, after a rule change, after lost events
     * and every {@link #EVENT_WALK_EVERY_SCANS}th scan. Null: walk every scan.
     */
    public void setEvents(ProcessEvents events) {
        this.events = events;
        this.walkForced = true;
    }

    /**
     * The kernel's process events ({@link ProcConnector}), or null where they are not available (not root, not in
     * the initial network namespace, a kernel without the proc connector): the detector then walks /proc every scan.
     */
    public static ProcessEvents kernelEvents() {
        try {
            return ProcConnector.open();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    public ProcessEvents events() {
        return events;
    }

    /** Scans served by process events (no /proc listing), scans that listed /proc, and those forced by lost events. */
    public long eventScans() {
        return eventScans;
    }

    public long walks() {
        return walks;
    }

    public long lostWalks() {
        return lostWalks;
    }

    /** Reloads whose process rules were the same, so nothing was reclassified. */
    public long unchangedRuleReloads() {
        return unchangedRuleReloads;
    }

    public ScanResult scan() {
        changes.clear();
        if (events != null) {
            try {
                events.drainInto(changes);
            } catch (RuntimeException e) {
                eventFailures++;
                changes.markLost();
            }
        }
        // Walk /proc unless the events tell us everything: no events, first scan, new rules, lost events, or due.
        boolean lost = changes.lost();
        boolean walk = events == null || lost || walkForced || walkedRulesVersion != rulesVersion
                || scans + 1 - lastWalkScan >= EVENT_WALK_EVERY_SCANS;
        int[] pids;
        if (walk) {
            try {
                pids = reader.listPids();
            } catch (IOException e) {
                scanFailures++;
                throw new UncheckedIOException("listing " + reader.root(), e);
            }
        } else {
            pids = knownAndChanged();
        }
        scans++;
        if (walk) {
            walks++;
            if (lost && events != null) lostWalks++;
            lastWalkScan = scans;
            walkForced = false;
            walkedRulesVersion = rulesVersion;
        } else {
            eventScans++;
        }
        // Events list every exec, so the periodic re-reads are only needed without them (or when some were lost).
        boolean eventDriven = events != null && !lost;
        // After lost events any process may have exec'd unseen: read every one once.
        boolean readAll = events != null && lost;
        List<Tracked> fresh = new ArrayList<>();
        List<ScanResult.ProcessEvent> started = new ArrayList<>(), moved = new ArrayList<>(),
                exited = new ArrayList<>();
        for (int pid : pids) {
            Tracked known = table.get(pid);
            if (known != null && (known.app == null || !cpuWanted.test(known.app)) && known.rulesVersion == rulesVersion
                    && (eventDriven ? !changes.mustLook(pid)
                        : !readAll && known.seenScans >= YOUNG_SCANS
                            && Math.floorMod(pid + scans, RECHECK_EVERY_SCANS) != 0)) {
                known.seenScans++;
                known.listedScan = scans;
                continue;
            }
            ProcStat s = reader.stat(pid);
            if (s == null) continue; // exited since the listing; a known one is reported below
            Tracked t = known;
            if (t == null || t.startTime != s.startTime()) {
                if (t != null && t.app != null) {
                    // pid reused: the old process exited
                    exited.add(new ScanResult.ProcessEvent(t.pid, t.app, null));
                    inventoryStale = true;
                }
                t = new Tracked(pid, s.startTime());
                table.put(pid, t);
            } else {
                t.seenScans++;
            }
            t.listedScan = scans;
            t.cpuTicksBefore = t.cpuTicks;
            t.cpuScanBefore = t.cpuScan;
            t.cpuTicks = s.cpuTicks();
            t.cpuScan = scans;
            if (t.rulesVersion != rulesVersion || !s.comm().equals(t.comm) || changes.mustReclassify(pid)) {
                t.pending = s;
                t.appBefore = t.app;
                fresh.add(t);
            }
            t.comm = s.comm();
            t.ppid = s.ppid();
        }
        for (Tracked t : fresh) classify(t, 0);
        for (Tracked t : fresh) {
            if (t.isNew) {
                t.isNew = false;
                // Processes in no app only change the counts, which the inventory gets below without a rebuild.
                if (t.app != null) {
                    inventoryStale = true;
                    started.add(new ScanResult.ProcessEvent(t.pid, t.app, null));
                }
            } else if (!java.util.Objects.equals(t.appBefore, t.app)) {
                inventoryStale = true;
                moved.add(new ScanResult.ProcessEvent(t.pid, t.app, t.appBefore));
            }
        }
        int unassigned = 0;
        gone.clear();
        for (int i = 0, n = table.capacity(); i < n; i++) {
            Tracked t = table.valueAt(i);
            if (t == null) continue;
            if (t.listedScan != scans) gone.add(t);
            else if (t.app == null) unassigned++;
        }
        for (Tracked t : gone) {
            table.remove(t.pid);
            reader.forget(t.pid);
            if (t.app != null) {
                inventoryStale = true;
                exited.add(new ScanResult.ProcessEvent(t.pid, t.app, null));
            }
        }
        gone.clear();
        lastScanProcesses = table.size();
        if (inventoryStale) {
            inventory = buildInventory();
            inventoryStale = false;
        } else if (inventory.unassigned() != unassigned || inventory.total() != table.size()) {
            // Only processes outside every app came or went: the apps are the same objects as before.
            inventory = new Inventory(host, inventory.apps(), unassigned, table.size());
        }
        java.util.Comparator<ScanResult.ProcessEvent> byPid = java.util.Comparator.comparingInt(
                ScanResult.ProcessEvent::pid);
        started.sort(byPid);
        moved.sort(byPid);
        exited.sort(byPid);
        return new ScanResult(started, exited, moved, inventory);
    }

    /** The processes of the last scan and those with events since: what an event-driven scan looks at. */
    private int[] knownAndChanged() {
        if (changes.looked().isEmpty()) return table.keys();
        int[] known = table.keys();
        int[] out = java.util.Arrays.copyOf(known, known.length + changes.looked().size());
        int n = known.length;
        for (Integer pid : changes.looked()) if (!table.containsKey(pid)) out[n++] = pid;
        return java.util.Arrays.copyOf(out, n);
    }

    /**
     * CPU time (utime + stime, clock ticks) the process used between the previous scan and the last one; 0 when it
     * was not read in both (new, or not in an app). The sampler adds these up per app.
     */
    public long cpuTicksSinceLastScan(int pid) {
        Tracked t = table.get(pid);
        if (t == null || t.cpuScan != scans || t.cpuScanBefore != scans - 1) return 0;
        return Math.max(0, t.cpuTicks - t.cpuTicksBefore);
    }

    /** Parents first, so a child sees what its parent passes on; depth-limited against pid cycles in a fake tree. */
    private void classify(Tracked t, int depth) {
        ProcStat s = t.pending;
        if (s == null) return; // classified already, as some child's parent
        t.pending = null;
        Tracked parent = table.get(s.ppid());
        if (parent != null && parent.listedScan != scans) parent = null; // exited: not a parent any more
        if (parent != null && parent != t && depth < 64 && parent.pending != null) classify(parent, depth + 1);
        ProcessMatcher.Match direct = matcher.match(new LazyFacts(s, parent == null ? null : parent.comm));
        int inherited = parent == null || parent.passesOn == null ? -1
                : appIndex.getOrDefault(parent.passesOn, -1);
        int chosen;
        if (direct.app() >= 0 && (inherited < 0 || direct.app() <= inherited)) {
            chosen = direct.app();
            t.passesOn = direct.includeChildren() || direct.app() == inherited ? name(chosen) : null;
        } else {
            chosen = inherited;
            t.passesOn = name(inherited);
        }
        t.app = name(chosen);
        t.rulesVersion = rulesVersion;
        classified++;
    }

    private Inventory buildInventory() {
        List<List<Integer>> byApp = new ArrayList<>();
        for (int i = 0; i < appNames.size(); i++) byApp.add(new ArrayList<>());
        int unassigned = 0;
        for (int i = 0, n = table.capacity(); i < n; i++) {
            Tracked t = table.valueAt(i);
            if (t == null) continue;
            if (t.app != null) byApp.get(appIndex.get(t.app)).add(t.pid);
            else unassigned++;
        }
        Map<String, Inventory.Instance> apps = new LinkedHashMap<>();
        for (int i = 0; i < appNames.size(); i++) {
            List<Integer> p = byApp.get(i);
            if (p.isEmpty()) continue;
            p.sort(null);
            apps.put(appNames.get(i), new Inventory.Instance(appNames.get(i), host, p));
        }
        return new Inventory(host, apps, unassigned, table.size());
    }

    private String name(int app) {
        return app < 0 ? null : appNames.get(app);
    }

    public Inventory inventory() {
        return inventory;
    }

    public long scans() {
        return scans;
    }

    /** Processes whose rules were evaluated; stays near the number of new processes when the scan is incremental. */
    public long classified() {
        return classified;
    }

    public long scanFailures() {
        return scanFailures;
    }

    public int lastScanProcesses() {
        return lastScanProcesses;
    }

    public ProcReader reader() {
        return reader;
    }

    /** Reads cmdline, environ and ids only if a rule asks, at most once per classification. */
    private final class LazyFacts implements ProcessMatcher.Facts {
        private final ProcStat stat;
        private final String parentComm;
        private String cmdline;
        private boolean cmdlineRead, envRead, idsRead;
        private Map<String, String> env;
        private int[] uidGid;

        LazyFacts(ProcStat stat, String parentComm) {
            this.stat = stat;
            this.parentComm = parentComm;
        }

        @Override
        public ProcStat stat() {
            return stat;
        }

        @Override
        public String cmdline() {
            if (!cmdlineRead) {
                cmdline = reader.cmdline(stat.pid());
                cmdlineRead = true;
            }
            return cmdline;
        }

        @Override
        public Map<String, String> environ() {
            if (!envRead) {
                env = reader.environ(stat.pid());
                envRead = true;
            }
            return env;
        }

        @Override
        public int[] uidGid() {
            if (!idsRead) {
                uidGid = reader.uidGid(stat.pid());
                idsRead = true;
            }
            return uidGid;
        }

        @Override
        public String parentComm() {
            return parentComm;
        }
    }
}
