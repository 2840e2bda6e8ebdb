package org.poolwarden.enforce;

import java.util.Map;
import java.util.Set;

/**
 * Groups under our root in the cgroup2 hierarchy, used only so that nftables' {@code socket cgroupv2} can recognise
 * an app's sockets. On hybrid hosts CPU control lives in the v1 hierarchies, so an app's processes are placed here as
 * well; no controller is enabled and no knob is written. Only our root is touched, plus the cgroup a process is put
 * back into when its group goes. Not thread-safe: the control thread owns it.
 */
public interface Cgroup2Groups {
    /** Makes the root and one group per name (missing ones only), and removes groups under the root not named. */
    void reconcile(Set<String> groups);

    /** Moves the processes that are not already in the group into it; exited ones are skipped. Returns moves made. */
    int place(String group, Set<Integer> pids);

    /** The groups under our root and the processes in each. */
    Map<String, Set<Integer>> list();

    /** Puts every process back and removes every group and the root itself. */
    void removeAll();
}
