package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.KernelException;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/** On a hybrid host the cgroup2 mount has no cpu: the v2 controller must say so before it makes anything. */
@KernelTest
class CgroupV2OnHybridHostKernelTest {
    @Test
    void refusesClearlyAndCreatesNothing() {
        CgroupLayout l = CgroupLayout.detect();
        KernelRequirement.require(l.mode() == CgroupLayout.Mode.HYBRID && l.unifiedMount() != null
                && !l.unifiedControllers().contains("cpu") ? null : "needs a hybrid host whose cgroup2 mount lacks cpu");
        String root = CgroupTestRoots.newName();
        CgroupV2CpuController c = new CgroupV2CpuController(l.unifiedMount(), root, WeightMapping.LINEAR);
        KernelException e = assertThrows(KernelException.class, () -> c.ensureGroup(AppGroup.of("web", 100)));
        assertTrue(e.getMessage().contains("cpu controller is bound elsewhere"), e.getMessage());
        assertFalse(Files.exists(l.unifiedMount().resolve(root)), "nothing half-made");
        assertTrue(c.counters().mutations() == 0, c.counters().toString());
        assertTrue(Files.exists(Path.of(l.unifiedMount().toString(), "cgroup.procs")));
    }
}
