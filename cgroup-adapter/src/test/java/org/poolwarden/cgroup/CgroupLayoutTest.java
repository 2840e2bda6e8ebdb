package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupLayoutTest {
    static final String HYBRID = """
            24 31 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            25 24 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            26 24 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            27 24 0:25 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            28 24 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            33 24 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            34 24 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String V2 = """
            30 24 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """;
    static final String DEBIAN10 = """
            25 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
            26 24 0:24 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            """;

    @TempDir
    Path root;

    private void controllers(String mount, String text) throws IOException {
        Path dir = root.resolve(mount.substring(1));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), text);
    }

    @Test
    void hybridWithSeparateCpuAndCpuacctAndAnEmptyUnifiedHierarchy() throws IOException {
        controllers("/sys/fs/cgroup/unified", "\n");
        CgroupLayout l = CgroupLayout.parse(HYBRID.lines().toList(), root);
        assertEquals(CgroupLayout.Mode.HYBRID, l.mode());
        assertEquals(Path.of("/sys/fs/cgroup/unified"), l.unifiedMount());
        assertTrue(l.unifiedControllers().isEmpty());
        assertEquals(Path.of("/sys/fs/cgroup/cpu"), l.v1("cpu"));
        assertEquals(Path.of("/sys/fs/cgroup/cpuacct"), l.v1("cpuacct"));
        assertTrue(l.cpuAndCpuacctSeparate());
        assertEquals("HybridV1CpuController", l.cpuControllerName());
        assertNull(l.cpuUnusableReason());
    }

    @Test
    void pureV2WithAndWithoutTheCpuController() throws IOException {
        controllers("/sys/fs/cgroup", "cpuset cpu io memory pids\n");
        CgroupLayout l = CgroupLayout.parse(V2.lines().toList(), root);
        assertEquals(CgroupLayout.Mode.V2, l.mode());
        assertEquals("CgroupV2CpuController", l.cpuControllerName());

        controllers("/sys/fs/cgroup", "memory pids\n");
        CgroupLayout noCpu = CgroupLayout.parse(V2.lines().toList(), root);
        assertNull(noCpu.cpuControllerName());
        assertTrue(noCpu.cpuUnusableReason().contains("cpu controller is not available"), noCpu.cpuUnusableReason());
    }

    @Test
    void legacyV1WithCoMountedCpuAndCpuacct() {
        CgroupLayout l = CgroupLayout.parse(DEBIAN10.lines().toList(), root);
        assertEquals(CgroupLayout.Mode.V1, l.mode());
        assertEquals(l.v1("cpu"), l.v1("cpuacct"));
        assertTrue(!l.cpuAndCpuacctSeparate());
        assertEquals("HybridV1CpuController", l.cpuControllerName());
    }

    @Test
    void nothingMounted() {
        CgroupLayout l = CgroupLayout.parse(List.of("22 1 0:5 / /proc rw - proc proc rw"), root);
        assertEquals(CgroupLayout.Mode.NONE, l.mode());
        assertEquals("no cgroup file system is mounted", l.cpuUnusableReason());
    }

    @Test
    void mountPointEscapesAreDecoded() {
        assertEquals("/a b\\c", CgroupLayout.unescape("/a\\040b\\134c"));
    }

    @Test
    void thisHostParses() {
        CgroupLayout l = CgroupLayout.detect();
        // Whatever this host is, the detection must be self-consistent.
        assertTrue((l.cpuControllerName() == null) != (l.cpuUnusableReason() == null));
    }
}
