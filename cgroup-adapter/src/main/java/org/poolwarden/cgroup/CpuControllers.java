package org.poolwarden.cgroup;

import org.poolwarden.os.KernelException;

/** Chooses the {@link CpuController} a host gets from its {@link CgroupLayout}. */
public final class CpuControllers {
    /** The default root, under each cgroup mount. */
    public static final String DEFAULT_ROOT = "poolwarden";

    private CpuControllers() {
    }

    /**
     * The controller for this layout, with our root at {@code root} under the relevant mount(s).
     *
     * @throws KernelException naming why, when the host has no usable CPU controller
     */
    public static AbstractCpuController forHost(CgroupLayout layout, String root, WeightMapping mapping) {
        GroupNames.checkRoot(root);
        String reason = layout.cpuUnusableReason();
        if (reason != null) {
            throw new KernelException("choose cpu controller for", "cgroups", 0, reason);
        }
        if (layout.mode() == CgroupLayout.Mode.V2) {
            return new CgroupV2CpuController(layout.unifiedMount(), root, mapping);
        }
        return new HybridV1CpuController(layout.v1("cpu"), layout.v1("cpuacct"), root, mapping);
    }

    public static AbstractCpuController forHost(CgroupLayout layout) {
        return forHost(layout, DEFAULT_ROOT, WeightMapping.LINEAR);
    }
}
