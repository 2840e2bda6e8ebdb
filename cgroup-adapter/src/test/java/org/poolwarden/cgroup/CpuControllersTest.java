package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.KernelException;

class CpuControllersTest {
    @Test
    void hybridGetsTheV1ControllerOnBothMounts() {
        CgroupLayout l = new CgroupLayout(CgroupLayout.Mode.HYBRID, Path.of("/sys/fs/cgroup/unified"), Set.of(),
                Map.of("cpu", Path.of("/sys/fs/cgroup/cpu"), "cpuacct", Path.of("/sys/fs/cgroup/cpuacct")));
        HybridV1CpuController c = assertInstanceOf(HybridV1CpuController.class, CpuControllers.forHost(l));
        assertEquals(l.cpuControllerName(), c.name());
        assertEquals(Path.of("/sys/fs/cgroup/cpu/poolwarden"), c.cpuRoot());
        assertEquals(Path.of("/sys/fs/cgroup/cpuacct/poolwarden"), c.cpuacctRoot());
        assertEquals(WeightMapping.LINEAR, c.mapping());
    }

    @Test
    void pureV2GetsTheUnifiedController() {
        CgroupLayout l = new CgroupLayout(CgroupLayout.Mode.V2, Path.of("/sys/fs/cgroup"), Set.of("cpu", "memory"), Map.of());
        AbstractCpuController c = CpuControllers.forHost(l, "system.slice/poolwarden.service/apps", WeightMapping.QUADRATIC);
        CgroupV2CpuController v2 = assertInstanceOf(CgroupV2CpuController.class, c);
        assertEquals(l.cpuControllerName(), v2.name());
        assertEquals(Path.of("/sys/fs/cgroup/system.slice/poolwarden.service/apps"), v2.root());
        assertEquals(WeightMapping.QUADRATIC, v2.mapping());
    }

    @Test
    void aHostWithoutCpuIsRefusedSayingWhy() {
        CgroupLayout l = new CgroupLayout(CgroupLayout.Mode.V2, Path.of("/sys/fs/cgroup"), Set.of("memory"), Map.of());
        KernelException e = assertThrows(KernelException.class, () -> CpuControllers.forHost(l));
        assertTrue(e.getMessage().contains("cpu controller is not available"), e.getMessage());
    }

    @Test
    void badRootsAreRefused() {
        CgroupLayout l = new CgroupLayout(CgroupLayout.Mode.V2, Path.of("/sys/fs/cgroup"), Set.of("cpu"), Map.of());
        for (String bad : new String[] {"", "/abs", "a/../b", "a//b", "..", "x/", "cgroup.procs"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuControllers.forHost(l, bad, WeightMapping.LINEAR), bad);
            assertTrue(e.getMessage().contains("'"), e.getMessage());
        }
    }
}
