package org.poolwarden.cgroup;

/**
 * What one application's CPU group should look like: a safe name, a policy weight (1..10000, 100 = one ordinary
 * process's share) and an optional cap. Validated when built, so a bad value never reaches the kernel.
 *
 * @param name   a single safe path component, see {@link GroupNames#check}
 * @param weight the policy weight
 * @param cap    the upper bound, or {@code null} for none
 */
public record AppGroup(String name, long weight, CpuCap cap) {
    public AppGroup {
        GroupNames.check(name);
        CpuWeights.checkPolicyWeight(weight);
    }

    public static AppGroup of(String name, long weight) {
        return new AppGroup(name, weight, null);
    }

    public AppGroup withWeight(long w) {
        return new AppGroup(name, w, cap);
    }

    public AppGroup withCap(CpuCap c) {
        return new AppGroup(name, weight, c);
    }
}
