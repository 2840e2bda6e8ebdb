package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link CpuController} must have, run against the fake and against the real kernel. A subclass
 * supplies a fresh controller on an empty root for each test and the means to start processes and to play the
 * outside writer. Reused by the {@code tests} module through this module's test-jar.
 */
public abstract class CpuControllerContract {

    /** A controller on its own empty root; the same instance for the whole test. */
    protected abstract CpuController controller();

    /** A live, idle process outside our groups. */
    protected abstract int startProcess();

    /** A live process with one child: {parent, child}. */
    protected abstract int[] startProcessTree();

    /** A live process that burns CPU. */
    protected abstract int startBusyProcess();

    /** Makes a process exit and waits until it has. */
    protected abstract void stopProcess(int pid);

    /** A pid that no process has. */
    protected abstract int deadPid();

    /** Lets the group's busy process run for a while (the fake books the time); called until usage has grown. */
    protected abstract void letItRun(String group, int busyPid);

    /** Someone other than the controller writes the knobs. */
    protected abstract void outsideWrite(String group, long rawWeight, CfsQuota quota);

    /** The group under our root the kernel has the process in (in every hierarchy), or null when outside. */
    protected abstract String groupOf(int pid);

    private long mutations() {
        return controller().counters().mutations();
    }

    @Test
    void ensureCreatesTheGroupWithItsWeightAndCap() {
        CpuController c = controller();
        assertTrue(c.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(0.25))));
        GroupState s = c.list().get("web");
        assertEquals(300, s.weight());
        assertEquals(c.mapping(), s.mapping());
        assertEquals(new CfsQuota(25_000, 100_000), s.quota());
        assertTrue(s.pids().isEmpty());
        assertEquals(Set.of("web"), c.list().keySet());
    }

    @Test
    void anEnsureThatChangesNothingWritesNothing() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(1.5)));
        long before = mutations();
        assertFalse(c.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(1.5))));
        assertEquals(before, mutations());
    }

    @Test
    void ensureChangesWeightAndCapAndCanLiftTheCap() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("web", 300).withCap(CpuCap.ofCpus(0.5)));
        assertTrue(c.ensureGroup(AppGroup.of("web", 50).withCap(CpuCap.ofCpus(0.75))));
        GroupState s = c.list().get("web");
        assertEquals(50, s.weight());
        assertEquals(75_000, s.quota().quotaMicros());
        assertTrue(c.ensureGroup(AppGroup.of("web", 50)));
        assertFalse(c.list().get("web").quota().limited());
    }

    @Test
    void badNamesAndWeightsAreRefusedNamingTheValueAndNothingIsCreated() {
        CpuController c = controller();
        for (String bad : List.of("../x", "a/b", "", ".", "..", ".hidden", "-x", "cpu.shares", "cgroup.procs", "tasks",
                "a\nb", "x".repeat(129))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AppGroup.of(bad, 100));
            assertTrue(e.getMessage().startsWith("cgroup name '"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AppGroup.of("web", 0));
        assertTrue(e.getMessage().contains("cpu weight 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.place("../etc", 1, false));
        assertThrows(IllegalArgumentException.class, () -> c.removeGroup("a/b"));
        assertTrue(c.list().isEmpty());
    }

    @Test
    void placingAMissingPidOrIntoAMissingGroupIsAnErrorNamingIt() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("web", 100));
        int dead = deadPid();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.place("web", dead, false));
        assertTrue(e.getMessage().contains("pid " + dead), e.getMessage());
        int pid = startProcess();
        e = assertThrows(IllegalArgumentException.class, () -> c.place("nosuch", pid, false));
        assertTrue(e.getMessage().contains("'nosuch'"), e.getMessage());
        assertNull(groupOf(pid));
        assertEquals(Set.of("web"), c.list().keySet());
    }

    @Test
    void placeMovesTheProcessAndASecondPlaceWritesNothing() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("web", 100));
        int pid = startProcess();
        PlaceResult r = c.place("web", pid, false);
        assertEquals(1, r.moved());
        assertEquals("web", groupOf(pid));
        assertEquals(Set.of(pid), c.list().get("web").pids());
        long before = mutations();
        PlaceResult again = c.place("web", pid, false);
        assertEquals(new PlaceResult(0, 1, 0, 0), again);
        assertEquals(before, mutations());
    }

    @Test
    void placeWithChildrenMovesTheDescendantsToo() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("batch", 100));
        int[] tree = startProcessTree();
        PlaceResult r = c.place("batch", tree[0], true);
        assertEquals(2, r.moved() + r.already(), r.toString());
        assertEquals("batch", groupOf(tree[0]));
        assertEquals("batch", groupOf(tree[1]));
    }

    @Test
    void placeWithoutChildrenLeavesThemWhereTheyAre() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("batch", 100));
        int[] tree = startProcessTree();
        c.place("batch", tree[0], false);
        assertEquals("batch", groupOf(tree[0]));
        assertNull(groupOf(tree[1]));
    }

    @Test
    void removeMovesTheProcessesOutFirstAndTheyLiveOn() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("web", 100));
        int pid = startProcess();
        c.place("web", pid, false);
        c.removeGroup("web");
        assertFalse(c.list().containsKey("web"));
        assertNull(groupOf(pid));
        c.removeGroup("web"); // absent: nothing to do, no error
        assertTrue(c.usage("web").isEmpty());
    }

    @Test
    void usageGrowsWhileTheGroupRuns() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("busy", 100));
        int pid = startBusyProcess();
        c.place("busy", pid, false);
        long before = c.usage("busy").orElseThrow().cpuNanos();
        CpuUsage after;
        int rounds = 0;
        do {
            // a loaded host may give the loop little CPU per round; what matters is that the counter grows
            letItRun("busy", pid);
            after = c.usage("busy").orElseThrow();
        } while (after.cpuNanos() <= before + 50_000_000L && ++rounds < 20);
        assertTrue(after.cpuNanos() > before + 50_000_000L, "used " + (after.cpuNanos() - before) + " ns");
        assertTrue(after.throttledNanos() >= 0 && after.throttledPeriods() >= 0);
    }

    @Test
    void driftIsNoticedUndoneAndCounted() {
        CpuController c = controller();
        AppGroup web = AppGroup.of("web", 200).withCap(CpuCap.ofCpus(0.5));
        c.reconcile(List.of(new CpuController.Desired(web, Set.of())));
        long raw = c.list().get("web").rawWeight();
        outsideWrite("web", raw * 3, CfsQuota.NONE);
        assertEquals(raw * 3, c.list().get("web").rawWeight(), "the outside write took");
        ReconcileResult r = c.reconcile(List.of(new CpuController.Desired(web, Set.of())));
        assertEquals(1, r.drifted());
        assertEquals(1, c.counters().drift());
        GroupState s = c.list().get("web");
        assertEquals(raw, s.rawWeight());
        assertEquals(new CfsQuota(50_000, 100_000), s.quota());
        ReconcileResult quiet = c.reconcile(List.of(new CpuController.Desired(web, Set.of())));
        assertEquals(0, quiet.drifted());
        assertEquals(0, quiet.writes());
        assertEquals(1, c.counters().drift());
    }

    @Test
    void ensureGroupsUndoesKnobDriftOfEveryGroupGivenAndLeavesTheRestAndTheProcessesAlone() {
        CpuController c = controller();
        int pid = startProcess();
        AppGroup a = AppGroup.of("a", 200).withCap(CpuCap.ofCpus(0.5));
        AppGroup b = AppGroup.of("b", 300);
        AppGroup other = AppGroup.of("other", 100);
        c.reconcile(List.of(new CpuController.Desired(a, Set.of(pid)), new CpuController.Desired(b, Set.of()),
                new CpuController.Desired(other, Set.of())));
        long rawA = c.list().get("a").rawWeight();
        long rawB = c.list().get("b").rawWeight();
        long rawOther = c.list().get("other").rawWeight();
        outsideWrite("a", rawA * 3, CfsQuota.NONE);
        outsideWrite("b", rawB * 2, CfsQuota.NONE);
        outsideWrite("other", rawOther * 2, CfsQuota.NONE);

        assertEquals(2, c.ensureGroups(List.of(a, b)), "both groups given were written");
        assertEquals(2, c.counters().drift());
        assertEquals(rawA, c.list().get("a").rawWeight());
        assertEquals(new CfsQuota(50_000, 100_000), c.list().get("a").quota());
        assertEquals(rawB, c.list().get("b").rawWeight());
        assertEquals(rawOther * 2, c.list().get("other").rawWeight(), "a group not given is not touched");
        assertEquals("a", groupOf(pid), "its process stays");
        assertEquals(0, c.ensureGroups(List.of(a, b)), "nothing left to write");
    }

    @Test
    void anIntendedChangeIsNotDrift() {
        CpuController c = controller();
        c.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 200), Set.of())));
        ReconcileResult r = c.reconcile(List.of(new CpuController.Desired(AppGroup.of("web", 400), Set.of())));
        assertEquals(1, r.updated());
        assertEquals(0, r.drifted());
        assertEquals(0, c.counters().drift());
    }

    @Test
    void reconcileCreatesMovesRemovesAndThenWritesNothing() {
        CpuController c = controller();
        c.ensureGroup(AppGroup.of("stale", 100));
        int a = startProcess();
        int b = startProcess();
        int gone = deadPid();
        List<CpuController.Desired> want = List.of(
                new CpuController.Desired(AppGroup.of("a", 300), Set.of(a, gone)),
                new CpuController.Desired(AppGroup.of("b", 100).withCap(CpuCap.ofCpus(0.25)), Set.of(b)));
        ReconcileResult r = c.reconcile(want);
        assertEquals(2, r.created());
        assertEquals(1, r.removed());
        assertEquals(2, r.moved());
        assertEquals(1, r.vanished(), "a pid that is gone is skipped, not an error");
        assertTrue(r.writes() > 0);
        assertEquals(Set.of("a", "b"), c.list().keySet());
        assertEquals("a", groupOf(a));
        assertEquals("b", groupOf(b));
        ReconcileResult quiet = c.reconcile(want);
        assertEquals(new ReconcileResult(0, 0, 0, 0, 0, 1, 0, quiet.reads()), quiet);
        assertTrue(quiet.reads() > 0);
    }

    @Test
    void aProcessThatExitsIsNoLongerListedAndReconcileCopes() {
        CpuController c = controller();
        int pid = startProcess();
        List<CpuController.Desired> want = List.of(new CpuController.Desired(AppGroup.of("a", 100), Set.of(pid)));
        c.reconcile(want);
        stopProcess(pid);
        assertTrue(c.list().get("a").pids().isEmpty());
        ReconcileResult r = c.reconcile(want);
        assertEquals(1, r.vanished());
        assertEquals(0, r.moved());
    }

    @Test
    void aDuplicateInTheDesiredStateIsRefusedBeforeAnyWrite() {
        CpuController c = controller();
        long before = mutations();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.reconcile(List.of(
                new CpuController.Desired(AppGroup.of("a", 100), Set.of()),
                new CpuController.Desired(AppGroup.of("a", 200), Set.of()))));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        assertEquals(before, mutations());
        assertTrue(c.list().isEmpty());
    }
}
