package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * Does the kernel share CPU the way we configure it? Two busy loops in two app groups, weights 3:1, pinned by a
 * cpuset group of our own to one CPU, must get CPU time in the ratio 3.0 ± 5%; a busy loop capped at 0.25 CPU must
 * use 0.25 ± 5% of wall time.
 *
 * <p>Other builds run on this machine. The ratio is immune to them: both groups compete on the same CPU and lose to
 * outsiders in the same proportion; the test root's cpu.shares are raised to the maximum anyway, so that the loops
 * get enough CPU for a precise ratio even at a load average of 100. A cap is only an upper bound, and outside load can push use below it; so the
 * test gives our root a very large cpu.shares (outsiders cannot take its quarter of a CPU), checks through
 * {@code nr_throttled} that the cap, not contention, was what limited it, and retries once if it was not.
 */
@KernelTest(needs = {"sh"})
class CpuSharingKernelTest {
    static final double TOLERANCE = 0.05;
    private CgroupLayout layout;
    private String rootName;
    private HybridV1CpuController controller;
    private Path cpuset;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        layout = CgroupLayout.detect();
        KernelRequirement.require("HybridV1CpuController".equals(layout.cpuControllerName()) && layout.v1("cpuset") != null
                ? null : "needs v1 cpu, cpuacct and cpuset hierarchies; this host: " + layout.cpuControllers());
        CgroupTestRoots.sweep(layout.v1("cpu"), layout.v1("cpuacct"), layout.v1("cpuset"));
        rootName = CgroupTestRoots.newName();
        controller = new HybridV1CpuController(layout.v1("cpu"), layout.v1("cpuacct"), rootName, WeightMapping.LINEAR);
        Path cs = layout.v1("cpuset");
        cpuset = Files.createDirectory(cs.resolve(rootName));
        String cpus = read(cs.resolve("cpuset.effective_cpus"));
        String lastCpu = cpus.substring(Math.max(cpus.lastIndexOf(','), cpus.lastIndexOf('-')) + 1);
        Files.writeString(cpuset.resolve("cpuset.cpus"), lastCpu);
        Files.writeString(cpuset.resolve("cpuset.mems"), read(cs.resolve("cpuset.effective_mems")));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        CgroupTestRoots.killAll(processes);
        try {
            controller.removeRoot();
        } finally {
            CgroupTestRoots.removeTree(layout.v1("cpu").resolve(rootName), layout.v1("cpu"));
            CgroupTestRoots.removeTree(layout.v1("cpuacct").resolve(rootName), layout.v1("cpuacct"));
            CgroupTestRoots.removeTree(cpuset, layout.v1("cpuset"));
        }
    }

    private int busyLoop(boolean pinned) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        processes.add(p);
        if (pinned) {
            Files.writeString(cpuset.resolve("cgroup.procs"), Long.toString(p.pid()));
        }
        return (int) p.pid();
    }

    @Test
    void weightsThreeToOneGiveThreeTimesTheCpuTime() throws Exception {
        controller.ensureGroup(AppGroup.of("heavy", 300));
        controller.ensureGroup(AppGroup.of("light", 100));
        // our root outweighs everything else on the pinned CPU, so both loops get enough time to measure
        Files.writeString(controller.cpuRoot().resolve("cpu.shares"), Long.toString(CpuWeights.SHARES_MAX));
        controller.place("heavy", busyLoop(true), false);
        controller.place("light", busyLoop(true), false);
        Thread.sleep(500); // let both settle on the CPU
        long h0 = controller.usage("heavy").orElseThrow().cpuNanos();
        long l0 = controller.usage("light").orElseThrow().cpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(3000);
        long h1 = controller.usage("heavy").orElseThrow().cpuNanos();
        long l1 = controller.usage("light").orElseThrow().cpuNanos();
        double wall = (System.nanoTime() - t0) / 1e9;
        double ratio = (double) (h1 - h0) / (l1 - l0);
        String report = String.format("weights 300:100 (cpu.shares 3072:1024) on one CPU over %.2f s: heavy %.3f s,"
                + " light %.3f s, ratio %.3f", wall, (h1 - h0) / 1e9, (l1 - l0) / 1e9, ratio);
        System.out.println(report);
        assertTrue(l1 - l0 > 100_000_000L, "the light group ran at all: " + report);
        assertEquals(3.0, ratio, 3.0 * TOLERANCE, report);
    }

    @Test
    void aCapOfAQuarterCpuHoldsUseToAQuarter() throws Exception {
        // our root outweighs everything else on the host, so only the cap can hold the loop below a quarter CPU
        controller.ensureGroup(AppGroup.of("capped", 10_000).withCap(CpuCap.ofCpus(0.25)));
        Files.writeString(controller.cpuRoot().resolve("cpu.shares"), Long.toString(CpuWeights.SHARES_MAX));
        controller.place("capped", busyLoop(false), false);
        Thread.sleep(300);
        String report = "";
        for (int attempt = 1; attempt <= 2; attempt++) {
            Path stat = controller.cpuRoot().resolve("capped").resolve("cpu.stat");
            long periods0 = CgroupV2CpuController.parseFlatKeyed(read(stat)).get("nr_periods");
            CpuUsage u0 = controller.usage("capped").orElseThrow();
            long t0 = System.nanoTime();
            Thread.sleep(4000); // ±1 quota (25 ms) of phase error is 2.5% of 1 s of CPU
            CpuUsage u1 = controller.usage("capped").orElseThrow();
            double wall = (System.nanoTime() - t0) / 1e9;
            long periods = CgroupV2CpuController.parseFlatKeyed(read(stat)).get("nr_periods") - periods0;
            long throttled = u1.throttledPeriods() - u0.throttledPeriods();
            double used = (u1.cpuNanos() - u0.cpuNanos()) / 1e9 / wall;
            report += String.format("attempt %d: cap 0.25 CPU over %.2f s: used %.4f CPU, throttled in %d of %d periods"
                    + " (%.2f s held back); ", attempt, wall, used, throttled, periods,
                    (u1.throttledNanos() - u0.throttledNanos()) / 1e9);
            System.out.println(report);
            boolean capBound = throttled >= periods * 0.9;
            if (Math.abs(used - 0.25) <= 0.25 * TOLERANCE || used > 0.25 || capBound || attempt == 2) {
                assertTrue(capBound, "the cap, not contention, limited the loop: " + report);
                assertEquals(0.25, used, 0.25 * TOLERANCE, report);
                return;
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
