package org.poolwarden.cgroup;

import java.util.Set;

/**
 * One group as the kernel has it.
 *
 * @param name      the group's name under our root
 * @param weight    the policy weight read back from {@code rawWeight} with {@code mapping}
 * @param rawWeight what the knob holds: cpu.shares (v1) or cpu.weight (v2)
 * @param mapping   the mapping used to read {@code rawWeight} back
 * @param quota     the CFS bandwidth limit
 * @param pids      the processes in it ({@code cgroup.procs})
 */
public record GroupState(String name, long weight, long rawWeight, WeightMapping mapping, CfsQuota quota, Set<Integer> pids) {
    public GroupState {
        pids = Set.copyOf(pids);
    }
}
