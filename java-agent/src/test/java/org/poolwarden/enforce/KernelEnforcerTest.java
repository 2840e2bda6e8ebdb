package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.poolwarden.cgroup.GroupState;
import org.poolwarden.nft.TableState;
import org.poolwarden.policy.BandwidthAllocation;
import org.poolwarden.policy.CpuAllocation;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.ForeignObjectException;

class KernelEnforcerTest {
    static final long MBIT = 1_000_000;
    final FakeHost host = new FakeHost(FakeHost.TWO_APPS);

    @Test
    void monitorThenEnforceThenMonitorLeavesNothingBehind() {
        KernelEnforcer e = host.enforcer();
        assertTrue(host.nothingOfOurs(), "monitor mode starts with nothing: " + host.snapshot());

        e.apply(host.plan(), host.inventory());

        Map<String, GroupState> groups = host.cpu.list();
        assertEquals(Set.of("web", "batch"), groups.keySet());
        assertEquals(300, groups.get("web").weight());
        assertEquals(Set.of(100, 101), groups.get("web").pids());
        assertEquals(Set.of(200), groups.get("batch").pids());
        // cap 25% of a 2-CPU host: half a CPU per 100 ms period
        assertEquals(50_000, groups.get("batch").quota().quotaMicros());
        assertEquals(30 * MBIT, host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR));
        assertEquals(10 * MBIT, host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR + 1));
        assertTrue(host.tc.classRate("eth0", DesiredKernel.DEFAULT_MINOR) > 0, host.tc.snapshot());
        TableState t = host.nftKernel.table();
        assertTrue(t.present && t.counters.containsAll(List.of("app_web", "app_batch")), host.nft());
        // class ids in nft are the tc classes under our root handle 5057:
        assertTrue(host.nft().contains("meta priority set 5057:10"), host.nft());
        assertTrue(host.nft().contains("meta priority set 5057:11"), host.nft());
        assertTrue(host.nft().contains("socket cgroupv2"), "process-owned apps matched by socket: " + host.nft());
        assertEquals(Map.of("batch", Set.of(200), "web", Set.of(100, 101)), host.cgroup2.list());
        assertEquals(1, e.counters().skippedFlowRules, "the icmp rule: " + e.counters().skipped);

        e.release();
        assertTrue(host.nothingOfOurs(), host.snapshot());
        assertEquals("/user.slice", host.cgroup2.groupOf(100), "processes are back where they were");
        assertEquals(null, host.cpu.groupOf(100));
        assertTrue(host.cpu.alive(100) && host.cpu.alive(200), "processes keep running");

        e.release(); // idempotent
        assertTrue(host.nothingOfOurs());
    }

    @Test
    void aForeignRootOnAPipeFailsTheApplyButStillReconcilesTheCpuSide() {
        host.tc.installForeignRoot("eth0", "tbf");
        String foreign = host.tc.snapshot();
        KernelEnforcer e = host.enforcer();

        ForeignObjectException x = assertThrows(ForeignObjectException.class, () -> e.apply(host.plan(), host.inventory()));
        assertTrue(x.getMessage().contains("eth0"), x.getMessage());
        assertEquals(foreign, host.tc.snapshot(), "the foreign root is left exactly as it was");
        assertEquals(Set.of("web", "batch"), host.cpu.list().keySet(), "the CPU side is reconciled all the same");
        assertEquals(1, e.counters().foreignObjects);
        assertEquals(1, e.counters().applyFailures);

        e.cleanup();
        assertEquals(foreign, host.tc.snapshot(), "cleanup leaves the foreign root alone too");
        assertTrue(host.cpu.list().isEmpty());
    }

    @Test
    void anUnchangedPlanChangesNothingTheSecondTime() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        long nft = host.nftKernel.transactions();
        long cpuMutations = host.cpu.counters().mutations();
        long tc = host.tc.counters().changesSent();
        long g2 = host.cgroup2.writes();
        e.apply(host.plan(), host.inventory());
        assertEquals(nft, host.nftKernel.transactions());
        assertEquals(cpuMutations, host.cpu.counters().mutations());
        assertEquals(tc, host.tc.counters().changesSent());
        assertEquals(g2, host.cgroup2.writes());
    }

    @Test
    void anUnchangedDesiredStateIsReadBackASliceAtATimeYetKnobDriftIsUndoneWithinTheSweep() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        long reconciles = host.cpu.counters().reconciles();
        e.apply(host.plan(), host.inventory());
        assertEquals(reconciles, host.cpu.counters().reconciles(), "a quiet tick reads no process list back");
        assertEquals(1, e.counters().quietSkips);
        assertEquals(1, e.counters().knobChecks, "two groups over the sweep: one group's knobs per quiet apply");

        // someone else writes both our knobs: each is undone within the sweep, by quiet applies alone
        host.cpu.outsideWrite("web", 7, org.poolwarden.cgroup.CfsQuota.NONE);
        host.cpu.outsideWrite("batch", 9, org.poolwarden.cgroup.CfsQuota.NONE);
        int applies = 0;
        while ((host.cpu.list().get("web").rawWeight() == 7 || host.cpu.list().get("batch").rawWeight() == 9)
                && applies < KernelEnforcer.KNOB_SWEEP_TICKS) {
            e.apply(host.plan(), host.inventory());
            applies++;
        }
        assertTrue(host.cpu.list().get("web").rawWeight() != 7 && host.cpu.list().get("batch").rawWeight() != 9,
                "undone within " + KernelEnforcer.KNOB_SWEEP_TICKS + " applies: " + host.cpu.list());
        assertEquals(reconciles, host.cpu.counters().reconciles(), "by the knob checks, not a full reconcile");
        assertEquals(2, host.cpu.counters().drift(), "both counted as drift");

        // A changed desired state (a new process of web) is applied at once, not at the next full reconcile.
        host.cpu.spawn(102, 1);
        Map<String, org.poolwarden.detect.Inventory.Instance> apps = new java.util.LinkedHashMap<>(
                host.inventory().apps());
        apps.put("web", new org.poolwarden.detect.Inventory.Instance("web", "h", List.of(100, 101, 102)));
        e.apply(host.plan(), new org.poolwarden.detect.Inventory("h", apps, 0, 4));
        assertEquals("web", host.cpu.groupOf(102));
    }

    @Test
    void aProcessMovedOutOfOurGroupIsPutBackByTheFullReconcileWithinItsPeriod() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        long reconciles = host.cpu.counters().reconciles();
        host.cpu.outsideMove(100, "/system.slice/other.service"); // someone else moves web's process out
        int applies = 0;
        while (!"web".equals(host.cpu.groupOf(100)) && applies < KernelEnforcer.FULL_RECONCILE_EVERY) {
            e.apply(host.plan(), host.inventory());
            applies++;
        }
        assertEquals("web", host.cpu.groupOf(100), "back within " + KernelEnforcer.FULL_RECONCILE_EVERY + " applies");
        assertEquals(KernelEnforcer.FULL_RECONCILE_EVERY, applies, "by the full reconcile, not before");
        assertEquals(reconciles + 1, host.cpu.counters().reconciles());
    }

    @Test
    void anOutsideChangeToOurTcClassIsUndoneByTheQuietNetworkCheck() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        host.tc.tamperRate("eth0", DesiredKernel.FIRST_APP_MINOR, 1 * MBIT);
        int applies = 0;
        while (host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR) != 30 * MBIT
                && applies < KernelEnforcer.QUIET_RECONCILE_EVERY) {
            e.apply(host.plan(), host.inventory());
            applies++;
        }
        assertEquals(30 * MBIT, host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR),
                "undone within " + KernelEnforcer.QUIET_RECONCILE_EVERY + " applies");
        assertEquals(1, e.counters().networkChecks);
        assertTrue(e.counters().tcDrift > 0, "counted as drift");
    }

    @Test
    void theDesiredStateIsBuiltAgainOnlyWhenThePlanConfigOrProcessesChange() {
        KernelEnforcer e = host.enforcer();
        org.poolwarden.policy.PolicyPlan plan = host.plan();
        e.apply(plan, host.inventory());
        DesiredKernel first = e.lastApplied();
        for (int i = 0; i < KernelEnforcer.QUIET_RECONCILE_EVERY; i++) e.apply(plan, host.inventory());
        assertTrue(first == e.lastApplied(), "equal inventories (new objects) reuse the state built before");

        host.cpu.spawn(102, 1);
        Map<String, org.poolwarden.detect.Inventory.Instance> apps = new java.util.LinkedHashMap<>(
                host.inventory().apps());
        apps.put("web", new org.poolwarden.detect.Inventory.Instance("web", "h", List.of(100, 101, 102)));
        e.apply(plan, new org.poolwarden.detect.Inventory("h", apps, 0, 4));
        assertEquals("web", host.cpu.groupOf(102), "a new process is applied at once");
        assertTrue(first != e.lastApplied());
    }

    @Test
    void aRestartedAgentTakesOverWithoutDuplicatingAnything() {
        host.enforcer().apply(host.plan(), host.inventory());
        String before = host.snapshot();
        long nft = host.nftKernel.transactions();
        long tc = host.tc.counters().changesSent();
        long cpuMutations = host.cpu.counters().mutations();

        KernelEnforcer restarted = host.enforcer();
        restarted.apply(host.plan(), host.inventory());

        assertEquals(before, host.snapshot(), "exactly one set of objects");
        assertEquals(nft, host.nftKernel.transactions(), "the table is adopted with nothing to send");
        assertEquals(tc, host.tc.counters().changesSent());
        assertEquals(cpuMutations, host.cpu.counters().mutations());
        restarted.release();
        assertTrue(host.nothingOfOurs(), host.snapshot());
    }

    @Test
    void aProcessThatAppearsIsPlacedAndAnAppThatGoesIsRemoved() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        host.cpu.spawn(102, 100);
        host.cgroup2.spawn(102, "/user.slice");
        host.config = FakeHost.config(FakeHost.TWO_APPS.replace("  - name: batch", "  - name: gone")
                .replace("processRules: [{name: batch}]", "processRules: [{name: none}]"));
        org.poolwarden.detect.Inventory inv = new org.poolwarden.detect.Inventory("h", Map.of("web",
                new org.poolwarden.detect.Inventory.Instance("web", "h", List.of(100, 101, 102))), 1, 4);
        e.apply(host.plan(), inv);
        assertEquals(Set.of(100, 101, 102), host.cpu.list().get("web").pids());
        assertEquals(Set.of(), host.cpu.list().get("gone").pids());
        assertFalse(host.cpu.list().containsKey("batch"));
        assertFalse(host.nftKernel.table().counters.contains("app_batch"), host.nft());
        assertEquals(Set.of(100, 101, 102), host.cgroup2.list().get("web"));
        assertEquals("/user.slice", host.cgroup2.groupOf(200), "batch's process went back");
    }

    @Test
    void aPolicyOnlyChangeWritesTheChangedKnobsWithoutReadingTheRestBack() {
        KernelEnforcer e = host.enforcer();
        assertFalse(e.applyPolicyChanges(host.plan(), host.inventory()), "nothing applied yet: nothing to diff");
        assertTrue(host.nothingOfOurs(), host.snapshot());
        e.apply(host.plan(), host.inventory());
        long nft = host.nftKernel.transactions();
        long g2 = host.cgroup2.writes();
        long reads = host.cpu.counters().reads();

        host.config = FakeHost.config(FakeHost.TWO_APPS.replace("weight: 300", "weight: 600")
                .replace("booking: 30mbit", "booking: 25mbit"));
        assertTrue(e.applyPolicyChanges(host.plan(), host.inventory()), "every change was a knob");
        long fastReads = host.cpu.counters().reads() - reads;
        assertEquals(600, host.cpu.list().get("web").weight());
        assertEquals(100, host.cpu.list().get("batch").weight());
        assertEquals(25 * MBIT, host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR));
        assertEquals(nft, host.nftKernel.transactions(), "the classifier is not touched");
        assertEquals(g2, host.cgroup2.writes(), "no process is moved");
        assertEquals(2, e.counters().policyFastWrites, "web's group and the eth0 tree");
        assertEquals(1, e.counters().policyFastApplies, "the call before anything was applied does nothing");

        // The kernel now holds the new desired state: the next applies are quiet, then a full reconcile reads
        // everything back and finds nothing to write.
        long mutations = host.cpu.counters().mutations();
        long tc = host.tc.counters().changesSent();
        long quiet = e.counters().quietSkips;
        e.apply(host.plan(), host.inventory());
        assertEquals(quiet + 1, e.counters().quietSkips);
        long full = 0;
        for (int i = 0; i < KernelEnforcer.FULL_RECONCILE_EVERY && full == 0; i++) {
            long r0 = host.cpu.counters().reconciles();
            reads = host.cpu.counters().reads();
            e.apply(host.plan(), host.inventory());
            if (host.cpu.counters().reconciles() > r0) full = host.cpu.counters().reads() - reads;
        }
        assertEquals(mutations, host.cpu.counters().mutations());
        assertEquals(tc, host.tc.counters().changesSent());
        assertTrue(fastReads < full, "only web's knobs were read: " + fastReads + " reads, a reconcile " + full);
    }

    @Test
    void aPolicyChangeThatAddsAClassOrMovesProcessesIsLeftToTheFullReconcile() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        String before = host.tc.snapshot();
        // batch loses its bandwidth policy: its class and its nftables rules go, in the reconcile's order
        host.config = FakeHost.config(FakeHost.TWO_APPS.replace(
                ", bandwidth: [{pipe: uplink, booking: 10mbit, burst: 20mbit}]", ""));
        assertFalse(e.applyPolicyChanges(host.plan(), host.inventory()));
        assertEquals(before, host.tc.snapshot());
        e.apply(host.plan(), host.inventory());
        assertEquals(-1, host.tc.classRate("eth0", DesiredKernel.FIRST_APP_MINOR + 1), host.tc.snapshot());

        // A weight change while web has a new process: the weight is written, the move is the reconcile's.
        host.cpu.spawn(102, 1);
        host.config = FakeHost.config(FakeHost.TWO_APPS.replace("weight: 300", "weight: 600")
                .replace(", bandwidth: [{pipe: uplink, booking: 10mbit, burst: 20mbit}]", ""));
        Map<String, org.poolwarden.detect.Inventory.Instance> apps = new java.util.LinkedHashMap<>(
                host.inventory().apps());
        apps.put("web", new org.poolwarden.detect.Inventory.Instance("web", "h", List.of(100, 101, 102)));
        org.poolwarden.detect.Inventory moved = new org.poolwarden.detect.Inventory("h", apps, 0, 4);
        assertFalse(e.applyPolicyChanges(host.plan(), moved));
        assertEquals(600, host.cpu.list().get("web").weight());
        assertEquals(null, host.cpu.groupOf(102));
        e.apply(host.plan(), moved);
        assertEquals("web", host.cpu.groupOf(102));
    }

    @Test
    void aBadPlanIsRejectedWholeAndLeavesThePreviousState() {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        String before = host.snapshot();
        PolicyPlan good = host.plan();

        // a ceiling below the rate on the pipe: refused by the tc side's validation, before anything is sent
        Map<String, BandwidthAllocation> bw = new java.util.LinkedHashMap<>(good.bandwidth().get("uplink"));
        bw.put("batch", new BandwidthAllocation("batch", "uplink", 2_000_000, 1_000_000, 2_000_000));
        PolicyPlan badRate = new PolicyPlan(good.cpu(), Map.of("uplink", bw), List.of());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.apply(badRate, host.inventory()));
        assertTrue(x.getMessage().contains("uplink") && x.getMessage().contains("batch"), x.getMessage());
        assertEquals(before, host.snapshot());

        // a weight the kernel cannot take, on the second app: the first must not have been touched either
        Map<String, CpuAllocation> cpu = new java.util.LinkedHashMap<>(good.cpu());
        cpu.put("batch", new CpuAllocation("batch", 0, 0, CpuAllocation.UNLIMITED, 100_000));
        cpu.put("web", new CpuAllocation("web", 5000, 0, CpuAllocation.UNLIMITED, 100_000));
        PolicyPlan badWeight = new PolicyPlan(cpu, good.bandwidth(), List.of());
        x = assertThrows(IllegalArgumentException.class, () -> e.apply(badWeight, host.inventory()));
        assertTrue(x.getMessage().contains("batch"), x.getMessage());
        assertEquals(before, host.snapshot());

        // a pipe whose interface does not exist
        host.config = FakeHost.config(FakeHost.TWO_APPS.replace("interface: eth0", "interface: eth9"));
        assertThrows(IllegalArgumentException.class, () -> e.apply(host.plan(), host.inventory()));
        assertEquals(before.replace("eth0", "eth9"), host.snapshot().replace("eth0", "eth9"));
        assertEquals(3, e.counters().rejectedPlans);
    }

    @Test
    void cleanupWithoutAConfigRemovesOnlyWhatIsOurs() {
        host.enforcer().apply(host.plan(), host.inventory());
        host.tc.installForeignRoot("eth1", "tbf");
        host.config = null; // `poolwarden cleanup` reads none
        KernelEnforcer fresh = host.enforcer();
        List<String> done = fresh.cleanup();
        assertTrue(host.cpu.list().isEmpty());
        assertFalse(host.nftKernel.table().present);
        assertFalse(host.cgroup2.rootExists());
        assertFalse(host.tc.snapshot().contains("htb"), host.tc.snapshot());
        assertTrue(host.tc.snapshot().contains("tbf"), "someone else's qdisc stays: " + host.tc.snapshot());
        assertTrue(done.stream().anyMatch(d -> d.startsWith("tc on eth0")), done.toString());
        assertFalse(done.stream().anyMatch(d -> d.contains("eth1")), done.toString());
        assertEquals(List.of(), host.deletedDevices);
        assertTrue(fresh.cleanup().stream().noneMatch(d -> d.startsWith("tc on")), "a second cleanup finds nothing");
    }

    @Test
    void ingressWhenConfiguredGetsAnIfbTreeThatReleaseRemovesToo() {
        KernelEnforcer e = host.enforcer(Set.of("uplink"));
        e.apply(host.plan(), host.inventory());
        assertTrue(host.tc.snapshot().contains("pwifb2"), host.tc.snapshot());
        assertTrue(host.tc.snapshot().contains("ingress=true"), host.tc.snapshot());
        e.release();
        assertTrue(host.nothingOfOurs(), host.snapshot());
        assertFalse(host.tc.snapshot().contains("ingress=true"), host.tc.snapshot());
    }

    @Test
    void theClassIdInNftIsTheTcClassUnderOurRootHandle() {
        assertEquals("5057:10", DesiredKernel.classId(DesiredKernel.FIRST_APP_MINOR));
        assertEquals(BandwidthController.classId(0x10), Integer.parseInt("50570010", 16));
        assertEquals("5057:2", DesiredKernel.classId(DesiredKernel.DEFAULT_MINOR));
    }
}
