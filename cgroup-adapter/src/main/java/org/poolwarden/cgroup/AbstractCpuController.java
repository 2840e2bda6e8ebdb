package org.poolwarden.cgroup;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

/**
 * The logic every {@link CpuController} shares — validation before any write, write-only-what-differs, drift
 * detection, rollback of a half-applied ensure, reconcile by diff — over a handful of primitive operations that
 * each implementation maps to its files (or, in the fake, to memory).
 */
public abstract class AbstractCpuController implements CpuController {
    /** What the knobs of a group hold, in the implementation's raw units. */
    protected record Knobs(long rawWeight, CfsQuota quota) {
    }

    private enum Outcome { UNCHANGED, CREATED, UPDATED, DRIFTED }

    protected final CpuCounters counters = new CpuCounters();
    protected final WeightMapping mapping;
    /** The knob values this controller last wrote or confirmed, per group: the reference for drift. */
    private final Map<String, Knobs> confirmed = new HashMap<>();
    /** Where the processes we moved came from; a release puts them back there. */
    protected ProcessOrigins origins = ProcessOrigins.inMemory();

    protected AbstractCpuController(WeightMapping mapping) {
        this.mapping = mapping;
    }

    // ---- primitives ----------------------------------------------------------------------------------------

    /** Creates our root (and whatever it needs to hold CPU groups) if missing. */
    protected abstract void ensureRoot();

    protected abstract boolean exists(String group);

    /** Makes the group (empty, kernel defaults). */
    protected abstract void create(String group);

    /** Removes an empty group, or whatever part of it exists; absent is fine and writes nothing. */
    protected abstract void destroy(String group);

    protected abstract Knobs readKnobs(String group);

    protected abstract void writeWeight(String group, long rawWeight);

    /** Writes the cap; {@code have} is what the kernel holds now (v1 needs it to change the period safely). */
    protected abstract void writeQuota(String group, CfsQuota have, CfsQuota want);

    /** The processes in the group. */
    protected abstract Set<Integer> readPids(String group);

    /** Moves a process into the group; false when it no longer exists. */
    protected abstract boolean movePid(String group, int pid);

    /**
     * Moves several processes into the group; returns those that no longer exist. Implementations may use one
     * descriptor for all of them.
     */
    protected Set<Integer> movePids(String group, Collection<Integer> pids) {
        Set<Integer> gone = new HashSet<>();
        for (int pid : pids) {
            if (!movePid(group, pid)) {
                gone.add(pid);
            }
        }
        return gone;
    }

    /** Moves threads of {@code pid} that are not in the group; returns how many. */
    protected abstract int fixThreads(String group, int pid);

    protected abstract boolean processExists(int pid);

    /** Current descendants of a process (children, their children, ...). */
    protected abstract Set<Integer> descendants(int pid);

    /**
     * Moves processes out of the group: each back to its recorded origin when that still takes it
     * ({@link #returnHome}), the others to the evacuation group; vanished ones are skipped.
     */
    protected abstract void evacuate(String group, Set<Integer> pids);

    /**
     * Where the process is now, one cgroup path per hierarchy this controller writes, with its start time; null when
     * it has gone, or when that place is not worth returning to (inside our root, or outside what we can see).
     */
    protected abstract ProcessOrigins.Origin originOf(int pid);

    /** The process's start time (clock ticks since boot), empty when it has gone. */
    protected abstract OptionalLong startTicks(int pid);

    /** Moves one process into the cgroups of its origin; false when one of them is gone or refuses it. */
    protected interface HomeMover {
        boolean moveHome(int pid, ProcessOrigins.Origin origin);
    }

    /** The groups under our root. */
    protected abstract List<String> names();

    protected abstract CpuUsage readUsage(String group);

    /** The raw knob value for a policy weight. */
    protected abstract long rawWeight(long policyWeight);

    /** A raw knob value read back as a policy weight. */
    protected abstract long policyWeight(long rawWeight);

    // ---- origins -------------------------------------------------------------------------------------------

    /**
     * Keeps the record of where moved processes came from in {@code record} (e.g. one backed by a file in the agent's
     * state directory, so it outlives a killed agent) instead of memory; set before the first move.
     */
    public void rememberOriginsIn(ProcessOrigins record) {
        this.origins = record;
    }

    public ProcessOrigins origins() {
        return origins;
    }

    /** Notes where a process is before its first move into one of our groups. */
    private void noteOrigin(int pid) {
        if (origins.get(pid) != null) {
            return;
        }
        ProcessOrigins.Origin o = originOf(pid);
        if (o != null) {
            origins.recordIfAbsent(pid, o);
        }
    }

    /**
     * Puts every process that has a recorded origin back there (checked against its start time, so a reused pid is
     * not sent to another process's home); returns the ones still to evacuate. Processes that exited are dropped.
     */
    protected final Set<Integer> returnHome(Set<Integer> pids, HomeMover mover) {
        Set<Integer> rest = new HashSet<>();
        for (int pid : pids) {
            ProcessOrigins.Origin o = origins.take(pid);
            if (o == null) {
                rest.add(pid);
                continue;
            }
            OptionalLong now = startTicks(pid);
            if (now.isEmpty()) {
                continue; // exited
            }
            if (now.getAsLong() == o.startTicks() && mover.moveHome(pid, o)) {
                counters.returnedHome.incrementAndGet();
            } else {
                counters.homeLost.incrementAndGet();
                rest.add(pid);
            }
        }
        return rest;
    }

    private void saveOrigins() {
        origins.saveIfChanged(this::processExists);
    }

    // ---- the port ------------------------------------------------------------------------------------------

    @Override
    public WeightMapping mapping() {
        return mapping;
    }

    @Override
    public CpuCounters counters() {
        return counters;
    }

    @Override
    public boolean ensureGroup(AppGroup group) {
        return guarded(() -> {
            ensureRoot();
            return ensure(group) != Outcome.UNCHANGED;
        });
    }

    @Override
    public int ensureGroups(Collection<AppGroup> groups) {
        return guarded(() -> {
            ensureRoot(); // once, not per group
            int written = 0;
            for (AppGroup g : groups) {
                if (ensure(g) != Outcome.UNCHANGED) written++;
            }
            return written;
        });
    }

    private Outcome ensure(AppGroup group) {
        String name = group.name();
        Knobs want = new Knobs(rawWeight(group.weight()), CfsQuota.of(group.cap()));
        if (!exists(name)) {
            try {
                create(name);
                Knobs fresh = readKnobs(name);
                applyDiff(name, fresh, want);
            } catch (RuntimeException e) {
                try {
                    destroy(name);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            confirmed.put(name, want);
            return Outcome.CREATED;
        }
        Knobs have = readKnobs(name);
        Knobs last = confirmed.get(name);
        boolean drifted = last != null && !last.equals(have);
        if (drifted) {
            counters.drift.incrementAndGet();
        }
        if (have.equals(want)) {
            confirmed.put(name, want);
            return Outcome.UNCHANGED;
        }
        applyDiff(name, have, want);
        confirmed.put(name, want);
        return drifted ? Outcome.DRIFTED : Outcome.UPDATED;
    }

    /** Writes the knobs that differ; if the second write fails the first is put back, so nothing is half-written. */
    private void applyDiff(String name, Knobs have, Knobs want) {
        boolean weightWritten = false;
        if (have.rawWeight() != want.rawWeight()) {
            writeWeight(name, want.rawWeight());
            weightWritten = true;
        }
        if (!have.quota().equals(want.quota())) {
            try {
                writeQuota(name, have.quota(), want.quota());
            } catch (RuntimeException e) {
                if (weightWritten) {
                    try {
                        writeWeight(name, have.rawWeight());
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }
    }

    @Override
    public PlaceResult place(String group, int pid, boolean withChildren) {
        GroupNames.check(group);
        if (pid <= 0) {
            throw new IllegalArgumentException("pid " + pid + " is not a process id");
        }
        return guarded(() -> {
            if (!exists(group)) {
                throw new IllegalArgumentException("cgroup '" + group + "' does not exist under our root; ensure it before placing pid " + pid);
            }
            if (!processExists(pid)) {
                throw new IllegalArgumentException("pid " + pid + " does not exist");
            }
            Set<Integer> todo = new LinkedHashSet<>();
            todo.add(pid);
            if (withChildren) {
                todo.addAll(descendants(pid));
            }
            Set<Integer> inside = readPids(group);
            int moved = 0;
            int already = 0;
            int vanished = 0;
            int fixed = 0;
            for (int p : todo) {
                if (inside.contains(p)) {
                    already++;
                } else {
                    noteOrigin(p);
                    if (movePid(group, p)) {
                        moved++;
                    } else {
                        origins.take(p);
                        vanished++;
                        counters.vanished.incrementAndGet();
                        continue;
                    }
                }
                int f = fixThreads(group, p);
                fixed += f;
                counters.threadsFixed.addAndGet(f);
            }
            saveOrigins();
            return new PlaceResult(moved, already, vanished, fixed);
        });
    }

    @Override
    public void removeGroup(String group) {
        GroupNames.check(group);
        guarded(() -> {
            try {
                remove(group);
            } finally {
                saveOrigins();
            }
            return null;
        });
    }

    private void remove(String group) {
        if (!exists(group)) {
            destroy(group); // a half-made group (present in only one v1 hierarchy) goes too
            confirmed.remove(group);
            return;
        }
        Set<Integer> pids = readPids(group);
        if (!pids.isEmpty()) {
            evacuate(group, pids);
        }
        destroy(group);
        confirmed.remove(group);
    }

    @Override
    public Optional<CpuUsage> usage(String group) {
        GroupNames.check(group);
        return guarded(() -> {
            if (!exists(group)) {
                return Optional.empty();
            }
            try {
                return Optional.of(readUsage(group));
            } catch (KernelException e) {
                if (e.is(Errno.ENOENT)) {
                    return Optional.empty(); // removed between the check and the read
                }
                throw e;
            }
        });
    }

    @Override
    public Map<String, GroupState> list() {
        return guarded(() -> {
            Map<String, GroupState> out = new TreeMap<>();
            for (String name : names()) {
                try {
                    Knobs k = readKnobs(name);
                    out.put(name, new GroupState(name, policyWeight(k.rawWeight()), k.rawWeight(), mapping, k.quota(),
                            readPids(name)));
                } catch (KernelException e) {
                    if (!e.is(Errno.ENOENT)) {
                        throw e;
                    }
                }
            }
            return out;
        });
    }

    @Override
    public ReconcileResult reconcile(Collection<Desired> desired) {
        Set<String> wanted = new HashSet<>();
        for (Desired d : desired) {
            if (!wanted.add(d.group().name())) {
                throw new IllegalArgumentException("cgroup '" + d.group().name() + "' is listed twice in the desired state");
            }
        }
        long w0 = counters.mutations();
        long r0 = counters.reads();
        return guarded(() -> {
            counters.reconciles.incrementAndGet();
            ensureRoot();
            int created = 0;
            int updated = 0;
            int drifted = 0;
            int moved = 0;
            int vanished = 0;
            for (Desired d : desired) {
                String name = d.group().name();
                Outcome o = ensure(d.group());
                switch (o) {
                    case CREATED -> created++;
                    case UPDATED -> updated++;
                    case DRIFTED -> drifted++;
                    default -> { }
                }
                if (d.pids().isEmpty()) {
                    continue;
                }
                Set<Integer> inside = o == Outcome.CREATED ? Set.of() : readPids(name);
                List<Integer> missing = new ArrayList<>();
                for (int pid : d.pids()) {
                    if (inside.contains(pid)) {
                        continue;
                    }
                    // a pid that is gone costs a stat, not a failed write: a quiet reconcile writes nothing
                    if (processExists(pid)) {
                        missing.add(pid);
                    } else {
                        vanished++;
                        counters.vanished.incrementAndGet();
                    }
                }
                int gone = 0;
                if (!missing.isEmpty()) {
                    missing.forEach(this::noteOrigin);
                    Set<Integer> goneNow = movePids(name, missing);
                    goneNow.forEach(origins::take);
                    gone = goneNow.size();
                }
                moved += missing.size() - gone;
                vanished += gone;
                counters.vanished.addAndGet(gone);
            }
            int removed = 0;
            try {
                for (String name : new ArrayList<>(names())) {
                    if (!wanted.contains(name)) {
                        remove(name);
                        removed++;
                    }
                }
            } finally {
                saveOrigins();
            }
            return new ReconcileResult(created, updated, drifted, removed, moved, vanished, counters.mutations() - w0,
                    counters.reads() - r0);
        });
    }

    /** Counts failures; every exception still reaches the caller. */
    private <T> T guarded(java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            counters.errors.incrementAndGet();
            throw e;
        }
    }
}
