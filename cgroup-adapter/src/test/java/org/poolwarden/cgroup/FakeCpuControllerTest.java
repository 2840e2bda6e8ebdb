package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

class FakeCpuControllerTest extends CpuControllerContract {
    private FakeCpuController fake;
    private int nextPid = 1000;

    @BeforeEach
    void fresh() {
        fake = new FakeCpuController();
    }

    @Override
    protected CpuController controller() {
        return fake;
    }

    @Override
    protected int startProcess() {
        int pid = nextPid++;
        fake.spawn(pid, 1);
        return pid;
    }

    @Override
    protected int[] startProcessTree() {
        int parent = startProcess();
        int child = nextPid++;
        fake.spawn(child, parent);
        return new int[] {parent, child};
    }

    @Override
    protected int startBusyProcess() {
        return startProcess();
    }

    @Override
    protected void stopProcess(int pid) {
        fake.exit(pid);
    }

    @Override
    protected int deadPid() {
        return 999_999;
    }

    @Override
    protected void letItRun(String group, int busyPid) {
        fake.consume(group, 300_000_000L, 0, 0);
    }

    @Override
    protected void outsideWrite(String group, long rawWeight, CfsQuota quota) {
        fake.outsideWrite(group, rawWeight, quota);
    }

    @Override
    protected String groupOf(int pid) {
        return fake.groupOf(pid);
    }

    @Test
    void aFailedEnsureLeavesThePreviousState() {
        fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5)));
        KernelException boom = new KernelException("write", "cpu.max", Errno.EINVAL);
        fake.failNextQuotaWrite(boom);
        KernelException e = assertThrows(KernelException.class,
                () -> fake.ensureGroup(AppGroup.of("web", 400).withCap(CpuCap.ofCpus(0.75))));
        assertSame(boom, e);
        GroupState s = fake.list().get("web");
        assertEquals(100, s.weight(), "the weight written before the failure was put back");
        assertEquals(50_000, s.quota().quotaMicros());
        assertEquals(1, fake.counters().errors());
    }

    @Test
    void aFailedCreateLeavesNoGroup() {
        fake.failNextQuotaWrite(new KernelException("write", "cpu.max", Errno.EINVAL));
        assertThrows(KernelException.class, () -> fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5))));
        assertFalse(fake.list().containsKey("web"));
        assertTrue(fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5))));
    }

    @Test
    void theFakeRecordsItsMappingAndName() {
        assertEquals("FakeCpuController", fake.name());
        assertEquals(WeightMapping.QUADRATIC, new FakeCpuController(WeightMapping.QUADRATIC).mapping());
    }

    // ---- origins: released processes go back where they came from ----------------------------------------

    @Test
    void removeSendsEachProcessBackToTheCgroupItCameFrom() {
        fake.spawnIn(50, 1, "/system.slice/web.service").spawnIn(51, 1, "/user.slice").spawn(52, 1);
        fake.ensureGroup(AppGroup.of("web", 100));
        fake.place("web", 50, false);
        fake.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of(50, 51, 52))));
        assertEquals(Set.of(50, 51, 52), fake.list().get("web").pids());
        assertEquals(3, fake.origins().size());

        fake.removeGroup("web");
        assertEquals("/system.slice/web.service", fake.outsideCgroupOf(50));
        assertEquals("/user.slice", fake.outsideCgroupOf(51));
        assertEquals("/", fake.outsideCgroupOf(52));
        assertEquals(3, fake.counters().returnedHome());
        assertEquals(0, fake.counters().homeLost());
        assertEquals(0, fake.origins().size(), "released: forgotten");
    }

    @Test
    void aMoveBetweenOurGroupsKeepsTheFirstOrigin() {
        fake.spawnIn(60, 1, "/system.slice/db.service");
        fake.ensureGroup(AppGroup.of("a", 100));
        fake.ensureGroup(AppGroup.of("b", 100));
        fake.place("a", 60, false);
        fake.place("b", 60, false);
        fake.reconcile(List.of());
        assertEquals("/system.slice/db.service", fake.outsideCgroupOf(60));
    }

    @Test
    void aHomeThatIsGoneOrAPidNowNamingAnotherProcessFallsBackToTheEvacuationGroup() {
        fake.spawnIn(70, 1, "/system.slice/gone.service").spawnIn(71, 1, "/system.slice/reused.service");
        fake.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of(70, 71))));
        fake.removeOutsideCgroup("/system.slice/gone.service");
        fake.exit(71);
        fake.spawnIn(71, 1, "/system.slice/other.service"); // the pid is reused by a new process...
        fake.place("web", 71, false); // ...which the agent places too: its first origin is still the old one's
        assertEquals("/system.slice/reused.service", fake.origins().get(71).cgroups().get(0));

        fake.removeGroup("web");
        assertEquals("/", fake.outsideCgroupOf(70));
        assertEquals("/", fake.outsideCgroupOf(71), "not into the home of the process that had the pid before");
        assertEquals(2, fake.counters().homeLost());
        assertEquals(0, fake.counters().returnedHome());
    }

    @Test
    void aProcessThatVanishesBeforeItsMoveLeavesNoRecord() {
        fake.spawnIn(80, 1, "/a");
        fake.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of(80))));
        fake.exit(80);
        fake.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of())));
        fake.removeGroup("web");
        assertEquals(0, fake.counters().returnedHome() + fake.counters().homeLost());
    }

    @Test
    void aRestartedControllerWithTheSameFileStillSendsThemHome(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path file = dir.resolve("cgroup-origins");
        fake.rememberOriginsIn(ProcessOrigins.open(file));
        fake.spawnIn(90, 1, "/system.slice/web.service");
        fake.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 100), Set.of(90))));
        assertEquals(1, fake.origins().saves());

        // kill -9: the controller object is gone, the kernel (here: the fake's world) and the file stay
        fake.rememberOriginsIn(ProcessOrigins.open(file));
        fake.removeGroup("web");
        assertEquals("/system.slice/web.service", fake.outsideCgroupOf(90));
        assertEquals(0, ProcessOrigins.open(file).size(), "the file forgets the released process");
    }
}
