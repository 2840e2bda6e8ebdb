package org.poolwarden.agent;

import org.poolwarden.detect.Inventory;
import org.poolwarden.policy.PolicyPlan;

/**
 * The port through which the control loop changes the kernel; implemented over the cgroup, tc and nft adapters when
 * they are composed in. It is only ever called in enforce mode.
 */
public interface Enforcer {
    /** Make the kernel match the plan for the processes in the inventory (idempotent: called every slow tick). */
    void apply(PolicyPlan plan, Inventory inventory);

    /**
     * A reload that changed only policies, applied at once: the knobs (CPU weights and caps, a pipe's HTB tree) that
     * differ from the last full apply are written, nothing else is read or moved. The full {@link #apply} follows at
     * the next slow tick as usual; an enforcer without such a shortcut does nothing here.
     *
     * @return the number of groups and trees written
     */
    default int applyPolicyChanges(PolicyPlan plan, Inventory inventory) {
        return 0;
    }

    /** Remove all enforcement (switch to monitor mode); processes keep running, unlimited. Idempotent. */
    void release();
}
