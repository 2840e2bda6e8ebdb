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

    /** Remove all enforcement (switch to monitor mode); processes keep running, unlimited. Idempotent. */
    void release();
}
