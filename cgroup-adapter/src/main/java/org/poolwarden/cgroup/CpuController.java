package org.poolwarden.cgroup;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Makes the kernel's CPU groups under poolwarden's root look like the desired state, and reports what they used.
 * Implementations: {@link HybridV1CpuController} (cgroup v1 cpu + cpuacct hierarchies), {@link CgroupV2CpuController}
 * (unified hierarchy), {@link FakeCpuController} (memory only). Chosen by {@link CpuControllers#forHost}.
 *
 * <p>Every operation validates its input before it writes anything and touches only groups under the root; a
 * failed call leaves the previous state. Not thread-safe: the agent's control thread owns it.
 */
public interface CpuController {

    /** The implementation's name, as {@code poolwarden doctor} reports it. */
    String name();

    /** How policy weights become cpu.shares here, recorded with every value read back. */
    WeightMapping mapping();

    /**
     * Creates the group or brings its weight and cap to the given values. Writes only what differs; a knob that
     * differs from what this controller last wrote is counted as drift.
     *
     * @return true when anything was written
     */
    boolean ensureGroup(AppGroup group);

    /**
     * {@link #ensureGroup} for several groups (a drift check of their knobs: reads each group's knobs, writes only
     * what differs, counts drift); process lists are not read. Stops at the first failure.
     *
     * @return how many groups were written to
     */
    default int ensureGroups(Collection<AppGroup> groups) {
        int written = 0;
        for (AppGroup g : groups) {
            if (ensureGroup(g)) written++;
        }
        return written;
    }

    /**
     * Moves a process (all its threads) into an existing group, and with {@code withChildren} its current
     * descendants. A pid that does not exist is an error naming it; a descendant that exits meanwhile is skipped.
     */
    PlaceResult place(String group, int pid, boolean withChildren);

    /** Moves the group's processes out to the evacuation group (our root's parent), then removes it. Absent: no-op. */
    void removeGroup(String group);

    /** Usage counters, or empty when the group does not exist (vanished groups are not an error). */
    Optional<CpuUsage> usage(String group);

    /**
     * CPU time of everything under our root together: the root's own counter, which the kernel charges
     * hierarchically (v1 {@code cpuacct.usage}, v2 {@code cpu.stat usage_usec}) and which keeps what removed groups
     * used. One read tells a sampler whether the groups it did not read used anything. Empty where it cannot be read.
     */
    default java.util.OptionalLong totalCpuNanos() {
        return java.util.OptionalLong.empty();
    }

    /** Every group under our root, as the kernel has it. */
    Map<String, GroupState> list();

    /**
     * Makes the groups under our root exactly {@code desired}: creates and updates groups, moves the listed
     * processes in (processes already inside stay, as do their children), removes groups not listed. A reconcile
     * that changes nothing performs no writes.
     */
    ReconcileResult reconcile(Collection<Desired> desired);

    /** Counters since creation. */
    CpuCounters counters();

    /** One wanted group and the processes that belong in it. */
    record Desired(AppGroup group, Set<Integer> pids) {
        public Desired {
            pids = Set.copyOf(pids);
            for (int pid : pids) {
                if (pid <= 0) {
                    throw new IllegalArgumentException("pid " + pid + " for group '" + group.name() + "' is not a process id");
                }
            }
        }
    }
}
