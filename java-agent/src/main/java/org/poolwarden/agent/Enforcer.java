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
     * differ from the last full apply are written, nothing else is read or moved. An enforcer without such a
     * shortcut does nothing here.
     *
     * @return true when the kernel now holds everything the plan changed, so the full {@link #apply} may come at the
     *         next regular slow tick; false when nothing was done or something is left for it (then it runs at once)
     */
    default boolean applyPolicyChanges(PolicyPlan plan, Inventory inventory) {
        return false;
    }

    /** Remove all enforcement (switch to monitor mode); processes keep running, unlimited. Idempotent. */
    void release();
}
