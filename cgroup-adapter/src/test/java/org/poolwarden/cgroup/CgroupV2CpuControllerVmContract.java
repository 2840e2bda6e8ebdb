package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract against the real cgroup v2 controller. Runs only inside the qemu guest that
 * {@link CgroupV2QemuKernelTest} boots (cgroup2 mounted at /sys/fs/cgroup with cpu available), started there by
 * {@link VmContractMain}; its name keeps surefire from running it on the host.
 */
class CgroupV2CpuControllerVmContract extends CpuControllerContract {
    static final Path MOUNT = Path.of("/sys/fs/cgroup");
    private String rootName;
    private CgroupV2CpuController controller;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void freshRoot() {
        rootName = CgroupTestRoots.newName();
        controller = new CgroupV2CpuController(MOUNT, rootName, WeightMapping.LINEAR);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        CgroupTestRoots.killAll(processes);
        try {
            controller.removeRoot();
        } finally {
            CgroupTestRoots.removeTree(MOUNT.resolve(rootName), MOUNT);
        }
    }

    private Process start(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected CpuController controller() {
        return controller;
    }

    @Override
    protected int startProcess() {
        return (int) start("sleep", "600").pid();
    }

    @Override
    protected int[] startProcessTree() {
        Process p = start("sh", "-c", "sleep 600 & wait");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            var kids = new Procfs(Path.of("/proc"), new CpuCounters()).descendants((int) p.pid());
            if (!kids.isEmpty()) {
                return new int[] {(int) p.pid(), kids.iterator().next()};
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the shell did not start its child");
    }

    @Override
    protected int startBusyProcess() {
        return (int) start("sh", "-c", "while :; do :; done").pid();
    }

    @Override
    protected void stopProcess(int pid) {
        for (Process p : processes) {
            if (p.pid() == pid) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Override
    protected int deadPid() {
        return CgroupTestRoots.deadPid();
    }

    @Override
    protected void letItRun(String group, int busyPid) {
        try {
            Thread.sleep(600);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void outsideWrite(String group, long rawWeight, CfsQuota quota) {
        Path d = controller.root().resolve(group);
        try {
            Files.writeString(d.resolve("cpu.weight"), Long.toString(rawWeight));
            Files.writeString(d.resolve("cpu.max"), quota.toCpuMax());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected String groupOf(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
                if (line.startsWith("0::")) {
                    String prefix = "/" + rootName + "/";
                    String path = line.substring(3);
                    return path.startsWith(prefix) ? path.substring(prefix.length()) : null;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    // ---- v2 specifics ---------------------------------------------------------------------------------------

    @Test
    void theKnobsAreCpuWeightAndCpuMaxAndCpuIsEnabledAlongThePath() throws IOException {
        controller.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(0.25)));
        Path d = controller.root().resolve("web");
        assertTrue(Files.readString(d.resolve("cpu.weight")).strip().equals("300"));
        assertTrue(Files.readString(d.resolve("cpu.max")).strip().equals("25000 100000"));
        assertTrue(Files.readString(MOUNT.resolve("cgroup.subtree_control")).contains("cpu"));
        assertTrue(Files.readString(controller.root().resolve("cgroup.subtree_control")).contains("cpu"));
    }

    @Test
    void pressureIsReportedWhereTheKernelKeepsIt() {
        controller.ensureGroup(AppGroup.of("web", 100));
        CpuUsage u = controller.usage("web").orElseThrow();
        assertTrue(u.pressureSomeMicros().isPresent(), "cpu.pressure read (the guest boots with psi=1)");
    }
}
