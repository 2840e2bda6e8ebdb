package org.poolwarden.pool.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.cpu.CpuPolicy;
import org.poolwarden.pool.cpu.HostCpu;
import org.poolwarden.pool.cpu.Instances;
import org.poolwarden.pool.cpu.PoolCpuAllocator;
import org.poolwarden.pool.pipe.PipeBooking;

class PolicyCatalogTest {

    @Test
    void readsCpuPoliciesAndPipeBookings() {
        PolicySet s = PolicySet.of(List.of(
                VersionedPolicy.set("cpu/web", 1, "h1", PolicyCatalog.body(30, 5)),
                VersionedPolicy.set("pipe/wan/web", 2, "h2", PolicyCatalog.body(50, 5)),
                VersionedPolicy.set("pipe/wan/db", 1, "h2", "percent=20;priority=9"),
                VersionedPolicy.delete("cpu/old", 4, "h3"),
                VersionedPolicy.set("rule/x", 1, "h1", "whatever")));
        PolicyCatalog c = PolicyCatalog.of(s);
        assertEquals(List.of(new CpuPolicy("web", 30, 5)), c.cpu());
        assertEquals(List.of(new PipeBooking("db", 20, 9), new PipeBooking("web", 50, 5)), c.pipes().get("wan"));
        assertTrue(c.problems().isEmpty());
    }

    @Test
    void badCopiesAreSkippedWithOneLineEach() {
        PolicySet s = PolicySet.of(List.of(
                VersionedPolicy.set("cpu/a", 1, "h1", "percent=abc;priority=1"),
                VersionedPolicy.set("cpu/b", 1, "h1", "percent=150;priority=1"),
                VersionedPolicy.set("cpu/c", 1, "h1", "priority=1"),
                VersionedPolicy.set("cpu/d/e", 1, "h1", "percent=1;priority=1"),
                VersionedPolicy.set("pipe/wan", 1, "h1", "percent=1;priority=1"),
                VersionedPolicy.set("pipe/wan/f", 1, "h1", "percent=NaN;priority=1"),
                VersionedPolicy.set("cpu/g", 3, "h7", "percent=10;percent=20;priority=1"),
                VersionedPolicy.set("cpu/ok", 1, "h1", "percent=10;priority=1")));
        PolicyCatalog c = PolicyCatalog.of(s);
        assertEquals(List.of(new CpuPolicy("ok", 10, 1)), c.cpu());
        assertEquals(7, c.problems().size());
        assertTrue(c.problems().contains("policy cpu/a v1 from h1: body field percent=abc is not a number"),
                c.problems().toString());
        assertTrue(c.problems().contains("policy cpu/g v3 from h7: body field percent given twice"));
    }

    @Test
    void policySetToPerHostCapsEndToEnd() {
        PolicySet s = PolicySet.empty();
        s = s.with(s.nextVersion("cpu/web", "h1", PolicyCatalog.body(25, 1)));
        s = s.with(s.nextVersion("cpu/web", "h2", PolicyCatalog.body(50, 1))); // later change wins
        PolicyCatalog c = PolicyCatalog.of(s);
        var alloc = PoolCpuAllocator.allocate(c.cpu(), List.of(new HostCpu("h1", 4, true),
                new HostCpu("h2", 4, true)), List.of(new Instances("web", "h1", 1), new Instances("web", "h2", 1)));
        assertEquals(4, alloc.placed("web"), 1e-9);
    }
}
