package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/** The contract on the real kernel's v1 cpu and cpuacct hierarchies (separate mounts on our CI hosts). */
@KernelTest(needs = {"sleep", "sh"})
class HybridV1CpuControllerKernelTest extends CpuControllerContract {
    static CgroupLayout layout;
    private String rootName;
    private HybridV1CpuController controller;
    private final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void hostHasV1Cpu() {
        layout = CgroupLayout.detect();
        KernelRequirement.require("HybridV1CpuController".equals(layout.cpuControllerName()) ? null
                : "this host gets " + layout.cpuControllerName() + " (" + layout.cpuUnusableReason() + "), not v1 cpu hierarchies");
        CgroupTestRoots.sweep(layout.v1("cpu"), layout.v1("cpuacct"), layout.v1("cpuset"));
    }

    @BeforeEach
    void freshRoot() {
        rootName = CgroupTestRoots.newName();
        controller = new HybridV1CpuController(layout.v1("cpu"), layout.v1("cpuacct"), rootName, WeightMapping.LINEAR);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        CgroupTestRoots.killAll(processes);
        try {
            controller.removeRoot();
        } finally {
            CgroupTestRoots.removeTree(layout.v1("cpu").resolve(rootName), layout.v1("cpu"));
            CgroupTestRoots.removeTree(layout.v1("cpuacct").resolve(rootName), layout.v1("cpuacct"));
        }
        assertFalse(Files.exists(layout.v1("cpu").resolve(rootName)));
        assertFalse(Files.exists(layout.v1("cpuacct").resolve(rootName)));
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            Set<Integer> kids = new Procfs(Path.of("/proc"), new CpuCounters()).descendants((int) p.pid());
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
            Thread.sleep(400);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void outsideWrite(String group, long rawWeight, CfsQuota quota) {
        Path d = controller.cpuRoot().resolve(group);
        try {
            Files.writeString(d.resolve("cpu.shares"), Long.toString(rawWeight));
            Files.writeString(d.resolve("cpu.cfs_quota_us"), Long.toString(quota.limited() ? quota.quotaMicros() : -1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected String groupOf(int pid) {
        String cpu = CgroupTestRoots.v1PathOf(pid, "cpu");
        String acct = CgroupTestRoots.v1PathOf(pid, "cpuacct");
        String prefix = "/" + rootName + "/";
        String inCpu = cpu != null && cpu.startsWith(prefix) ? cpu.substring(prefix.length()) : null;
        String inAcct = acct != null && acct.startsWith(prefix) ? acct.substring(prefix.length()) : null;
        assertEquals(inCpu, inAcct, "pid " + pid + " is in " + cpu + " (cpu) but " + acct + " (cpuacct)");
        return inCpu;
    }

    // ---- v1 specifics ---------------------------------------------------------------------------------------

    /** A cgroup outside our root in both hierarchies (as a systemd unit would be), with a sleeper in it. */
    private int sleeperAtHome(String home) throws IOException {
        int pid = startProcess();
        for (Path mount : List.of(layout.v1("cpu"), layout.v1("cpuacct"))) {
            Path d = mount.resolve(home);
            if (!Files.isDirectory(d)) {
                Files.createDirectory(d);
            }
            Files.writeString(d.resolve("cgroup.procs"), Integer.toString(pid));
        }
        return pid;
    }

    private void removeHome(String home) {
        CgroupTestRoots.removeTree(layout.v1("cpu").resolve(home), layout.v1("cpu"));
        CgroupTestRoots.removeTree(layout.v1("cpuacct").resolve(home), layout.v1("cpuacct"));
    }

    @Test
    void releasedProcessesGoBackToTheirCgroupInBothHierarchiesOrToTheEvacuationGroupWhenItIsGone(
            @org.junit.jupiter.api.io.TempDir Path state) throws Exception {
        String home = CgroupTestRoots.newName();
        String gone = CgroupTestRoots.newName();
        try {
            int pid = sleeperAtHome(home);
            int orphan = sleeperAtHome(gone);
            controller.rememberOriginsIn(ProcessOrigins.open(state.resolve("cgroup-origins")));
            controller.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of(pid, orphan))));
            assertEquals("web", groupOf(pid));
            // the orphan's home goes away while it is ours (an app's unit stopped and was cleaned up)
            for (Path mount : List.of(layout.v1("cpu"), layout.v1("cpuacct"))) {
                Files.delete(mount.resolve(gone));
            }

            // the agent is killed (-9) and started again: a new controller on the same root and state file
            controller = new HybridV1CpuController(layout.v1("cpu"), layout.v1("cpuacct"), rootName,
                    WeightMapping.LINEAR);
            controller.rememberOriginsIn(ProcessOrigins.open(state.resolve("cgroup-origins")));
            assertEquals(2, controller.origins().size());
            controller.removeGroup("web");

            assertEquals("/" + home, CgroupTestRoots.v1PathOf(pid, "cpu"));
            assertEquals("/" + home, CgroupTestRoots.v1PathOf(pid, "cpuacct"));
            assertEquals("/", CgroupTestRoots.v1PathOf(orphan, "cpu"), "home gone: the evacuation group (root's parent)");
            assertEquals("/", CgroupTestRoots.v1PathOf(orphan, "cpuacct"));
            assertEquals(1, controller.counters().returnedHome());
            assertEquals(1, controller.counters().homeLost());
            assertEquals(0, ProcessOrigins.open(state.resolve("cgroup-origins")).size());
        } finally {
            CgroupTestRoots.killAll(processes);
            removeHome(home);
            removeHome(gone);
        }
    }

    @Test
    void aGroupExistsInBothHierarchiesWithItsShares() throws IOException {
        controller.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(0.25)));
        Path cpu = layout.v1("cpu").resolve(rootName).resolve("web");
        assertEquals("3072", Files.readString(cpu.resolve("cpu.shares")).strip());
        assertEquals("25000", Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip());
        assertEquals("100000", Files.readString(cpu.resolve("cpu.cfs_period_us")).strip());
        assertTrue(Files.isRegularFile(layout.v1("cpuacct").resolve(rootName).resolve("web").resolve("cpuacct.usage")));
    }

    @Test
    void everyThreadOfAMultiThreadedProcessIsMoved() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = start(java, "-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                SleepingChild.class.getName());
        String first = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        assertEquals("ready", first);
        int pid = (int) p.pid();
        Set<Integer> tids = new Procfs(Path.of("/proc"), new CpuCounters()).threads(pid);
        assertTrue(tids.size() >= 5, "a JVM with sleepers has many threads: " + tids);
        controller.ensureGroup(AppGroup.of("jvm", 100));
        controller.ensureGroup(AppGroup.of("elsewhere", 100));
        // one thread is moved on its own first, as a careless tool might
        int straggler = tids.stream().filter(t -> t != pid).findFirst().orElseThrow();
        Files.writeString(controller.cpuRoot().resolve("elsewhere").resolve("tasks"), Integer.toString(straggler));
        PlaceResult r = controller.place("jvm", pid, false);
        assertEquals(1, r.moved());
        for (Path root : List.of(controller.cpuRoot(), controller.cpuacctRoot())) {
            Set<Integer> inside = new HashSet<>();
            for (String t : Files.readString(root.resolve("jvm").resolve("tasks")).split("\\s+")) {
                if (!t.isBlank()) {
                    inside.add(Integer.parseInt(t));
                }
            }
            Set<Integer> now = new Procfs(Path.of("/proc"), new CpuCounters()).threads(pid);
            assertTrue(inside.containsAll(now), root + ": threads " + now + " but tasks " + inside);
        }
        assertTrue(Files.readString(controller.cpuRoot().resolve("elsewhere").resolve("tasks")).isBlank());
    }

    @Test
    void rmdirOnEbusyIsRetriedWithBackoffUntilTheObstacleGoes() throws Exception {
        controller.ensureGroup(AppGroup.of("web", 100));
        // a child cgroup that someone else made keeps rmdir busy until they remove it
        Path intruder = controller.cpuRoot().resolve("web").resolve("intruder");
        Files.createDirectory(intruder);
        Thread remover = new Thread(() -> {
            try {
                Thread.sleep(35);
                Files.delete(intruder);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        remover.start();
        controller.removeGroup("web");
        remover.join();
        assertTrue(controller.counters().busyRetries() >= 1, controller.counters().toString());
        assertFalse(Files.exists(controller.cpuRoot().resolve("web")));
    }

    @Test
    void aPersistentEbusyEndsInAnErrorNamingTheGroupAndErrno() throws IOException {
        controller.ensureGroup(AppGroup.of("web", 100));
        Path intruder = controller.cpuRoot().resolve("web").resolve("intruder");
        Files.createDirectory(intruder);
        try {
            KernelException e = org.junit.jupiter.api.Assertions.assertThrows(KernelException.class,
                    () -> controller.removeGroup("web"));
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.getMessage().contains("/web") && e.getMessage().contains("EBUSY"), e.getMessage());
            assertEquals(CgroupFs.RMDIR_ATTEMPTS - 1, controller.counters().busyRetries());
        } finally {
            Files.delete(intruder);
        }
    }

    @Test
    void aHalfMadeGroupIsRemovedAndAVanishedOneRecreatedByReconcile() throws IOException {
        List<CpuController.Desired> want = List.of(new CpuController.Desired(AppGroup.of("keep", 200), Set.of()));
        controller.reconcile(want);
        Files.createDirectory(controller.cpuacctRoot().resolve("half")); // as if a create had been interrupted
        Files.delete(controller.cpuRoot().resolve("keep")); // someone removed ours
        ReconcileResult r = controller.reconcile(want);
        assertEquals(1, r.removed(), r.toString());
        assertEquals(1, r.created(), r.toString());
        assertFalse(Files.exists(controller.cpuacctRoot().resolve("half")));
        assertEquals("2048", read(controller.cpuRoot().resolve("keep").resolve("cpu.shares")));
        assertEquals(0, controller.reconcile(want).writes());
    }

    @Test
    void nothingOutsideOurRootIsWritten() {
        KernelException e = org.junit.jupiter.api.Assertions.assertThrows(KernelException.class,
                () -> new CgroupFs(new CpuCounters(), List.of(controller.cpuRoot()), CgroupFs.REAL_SLEEP)
                        .write(layout.v1("cpu").resolve("cpu.shares"), "2"));
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertEquals("1024", read(layout.v1("cpu").resolve("cpu.shares")));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
