package org.poolwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.PoolwardenConfig;

class PolicyCalculatorTest {
    static PoolwardenConfig config(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", yaml);
        assertEquals(List.of(), r.errors().stream().map(ConfigError::toString).toList());
        return r.config();
    }

    static PolicyPlan plan(String yaml, int cpus) {
        return PolicyCalculator.plan(config(yaml), new HostResources(cpus, Map.of()));
    }

    @Test
    void weightsOnlyAreWrittenAsConfigured() {
        PolicyPlan p = plan("""
                apps:
                  - {name: a, processRules: [{name: a}], policy: {cpu: {weight: 300}}}
                  - {name: b, processRules: [{name: b}], policy: {cpu: {weight: 50, cap: 25}}}
                  - {name: c, processRules: [{name: c}]}
                """, 4);
        assertEquals(new CpuAllocation("a", 300, 0, CpuAllocation.UNLIMITED, 100_000), p.cpu().get("a"));
        // cap 25% of 4 CPUs = 1 CPU = 100 ms per 100 ms period
        assertEquals(new CpuAllocation("b", 50, 0, 100_000, 100_000), p.cpu().get("b"));
        assertEquals(PolicyCalculator.DEFAULT_WEIGHT, p.cpu().get("c").weight());
        assertEquals(List.of(), p.alarms());
    }

    @Test
    void percentagesBecomeWeightsOnTheSameScaleAndWeightsShareTheRest() {
        PolicyPlan p = plan("""
                apps:
                  - {name: a, processRules: [{name: a}], policy: {cpu: {percent: 60, cap: 80}}}
                  - {name: b, processRules: [{name: b}], policy: {cpu: {weight: 300}}}
                  - {name: c, processRules: [{name: c}]}
                """, 2);
        assertEquals(new CpuAllocation("a", 6000, 6000, 160_000, 100_000), p.cpu().get("a"));
        assertEquals(2000, p.cpu().get("a").headroomBasisPoints(2), "up to the 80% cap from the 60% guarantee");
        assertEquals(10_000, p.cpu().get("b").headroomBasisPoints(2), "no guarantee, no cap: the whole host");
        assertEquals(3000, p.cpu().get("b").weight(), "300:100 of the 40% left");
        assertEquals(1000, p.cpu().get("c").weight());
        assertEquals(List.of(), p.alarms());
    }

    @Test
    void overbookedCpuIsScaledByPriorityWithAnAlarm() {
        PolicyPlan p = plan("""
                apps:
                  - {name: gold, processRules: [{name: a}], policy: {priority: 9, cpu: {percent: 70}}}
                  - {name: silver1, processRules: [{name: b}], policy: {priority: 5, cpu: {percent: 40}}}
                  - {name: silver2, processRules: [{name: c}], policy: {priority: 5, cpu: {percent: 20}}}
                  - {name: bronze, processRules: [{name: d}], policy: {priority: 1, cpu: {percent: 10}}}
                  - {name: rest, processRules: [{name: e}]}
                """, 8);
        assertEquals(7000, p.cpu().get("gold").guaranteedBasisPoints());
        assertEquals(2000, p.cpu().get("silver1").guaranteedBasisPoints(), "40:20 of the 30% left");
        assertEquals(1000, p.cpu().get("silver2").guaranteedBasisPoints());
        assertEquals(0, p.cpu().get("bronze").guaranteedBasisPoints());
        assertEquals(1, p.cpu().get("bronze").weight(), "the minimum weight, never 0");
        assertEquals(1, p.cpu().get("rest").weight(), "nothing is left for weights");
        assertEquals(1, p.alarms().size());
        InsufficientResources a = p.alarms().get(0);
        assertEquals("cpu", a.resource());
        assertEquals(14_000, a.booked());
        assertEquals(10_000, a.available());
        assertEquals(List.of(new InsufficientResources.Shortfall("silver1", 5, 4000, 2000),
                new InsufficientResources.Shortfall("silver2", 5, 2000, 1000),
                new InsufficientResources.Shortfall("bronze", 1, 1000, 0)), a.shortfalls());
        assertTrue(a.describe().startsWith("insufficient resources on cpu"), a.describe());
    }

    @Test
    void onlyAppsRunningHereBookCpuHere() {
        PoolwardenConfig c = config("""
                apps:
                  - {name: big, processRules: [{name: a}], policy: {priority: 9, cpu: {percent: 90}}}
                  - {name: small, processRules: [{name: b}], policy: {priority: 1, cpu: {percent: 50}}}
                """);
        PolicyPlan notRunning = PolicyCalculator.plan(c, new HostResources(2, Map.of()), java.util.Set.of("small"));
        assertEquals(5000, notRunning.cpu().get("small").guaranteedBasisPoints(), "big is not here: no squeeze");
        assertEquals(List.of(), notRunning.alarms());
        assertTrue(!notRunning.cpu().containsKey("big"));
        PolicyPlan both = PolicyCalculator.plan(c, new HostResources(2, Map.of()), java.util.Set.of("big", "small"));
        assertEquals(1000, both.cpu().get("small").guaranteedBasisPoints());
        assertEquals(1, both.alarms().size());
        assertEquals(both, PolicyCalculator.plan(c, new HostResources(2, Map.of())), "null: every app");
    }

    @Test
    void bandwidthBookingsAndBurstsInBytesPerSecond() {
        PolicyPlan p = plan("""
                pipes: [{name: up, interface: eth0, capacity: 100mbit}]
                apps:
                  - name: a
                    processRules: [{name: a}]
                    policy: {bandwidth: [{pipe: up, booking: 30mbit, burst: 50%}]}
                  - name: b
                    processRules: [{name: b}]
                    policy: {bandwidth: [{pipe: up, booking: 10%}]}
                  - name: c
                    processRules: [{name: c}]
                    policy: {bandwidth: [{pipe: up, burst: 1mbit}]}
                """, 1);
        Map<String, BandwidthAllocation> up = p.bandwidth().get("up");
        assertEquals(new BandwidthAllocation("a", "up", 3_750_000, 6_250_000, 3_750_000), up.get("a"));
        assertEquals(new BandwidthAllocation("b", "up", 1_250_000, 12_500_000, 1_250_000), up.get("b"));
        assertEquals(new BandwidthAllocation("c", "up", 0, 125_000, 0), up.get("c"));
        assertEquals(2_500_000, up.get("a").headroom());
        assertEquals(List.of(), p.alarms());
    }

    @Test
    void overbookedPipeAtItsCurrentShareIsScaledWithAnAlarm() {
        PoolwardenConfig c = config("""
                pipes: [{name: up, interface: eth0, capacity: 100mbit}]
                apps:
                  - {name: a, processRules: [{name: a}], policy: {priority: 8, bandwidth: [{pipe: up, booking: 30mbit}]}}
                  - {name: b, processRules: [{name: b}], policy: {priority: 2, bandwidth: [{pipe: up, booking: 30mbit, burst: 40mbit}]}}
                """);
        // The pool allocator says this host has only 40 Mbit of the pipe right now.
        PolicyPlan p = PolicyCalculator.plan(c, new HostResources(2, Map.of("up", 40_000_000L)));
        assertEquals(3_750_000, p.bandwidth().get("up").get("a").rate());
        assertEquals(1_250_000, p.bandwidth().get("up").get("b").rate());
        assertEquals(5_000_000, p.bandwidth().get("up").get("b").ceil(), "burst clamped to the capacity");
        assertEquals(5_000_000, p.bandwidth().get("up").get("a").ceil(), "no burst: up to the capacity");
        assertEquals("pipe:up", p.alarms().get(0).resource());
        assertEquals(7_500_000, p.alarms().get(0).booked());
        assertEquals(5_000_000, p.alarms().get(0).available());
    }

    @Test
    void amountConversions() {
        assertEquals(125_000, PolicyCalculator.bytesPerSecond(new Amount.BitsPerSecond(1_000_000), 0));
        assertEquals(5_000_000_000L, PolicyCalculator.bytesPerSecond(new Amount.BitsPerSecond(40_000_000_000L), 0));
        assertEquals(333, PolicyCalculator.bytesPerSecond(new Amount.Percent(33.3), 1000));
        assertEquals(1000, PolicyCalculator.bytesPerSecond(new Amount.Percent(100), 1000));
        assertEquals(1250, PolicyCalculator.basisPoints(12.5));
        assertEquals(1, PolicyCalculator.basisPoints(0.01));
    }

    @Property(tries = 200)
    void cpuPlansStayWithinTheHostAndWeightsInRange(@ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 100) Integer> pct,
                                                    @ForAll @IntRange(min = 1, max = 64) int cpus) {
        StringBuilder y = new StringBuilder("apps:\n");
        for (int i = 0; i < pct.size(); i++) {
            y.append("  - {name: a").append(i).append(", processRules: [{pid: ").append(i + 1)
                    .append("}], policy: {priority: ").append(1 + i % 10).append(", cpu: {")
                    .append(i % 3 == 0 ? "weight: " + pct.get(i) * 10 : "percent: " + pct.get(i) + ", cap: 100")
                    .append("}}}\n");
        }
        PolicyPlan p = plan(y.toString(), cpus);
        long guaranteed = 0;
        for (CpuAllocation a : p.cpu().values()) {
            guaranteed += a.guaranteedBasisPoints();
            assertTrue(a.weight() >= 1 && a.weight() <= 10_000, a.toString());
            assertTrue(a.quotaMicros() == CpuAllocation.UNLIMITED || a.quotaMicros() == cpus * 100_000L, a.toString());
        }
        assertTrue(guaranteed <= 10_000);
        if (!p.alarms().isEmpty()) assertEquals(10_000, guaranteed, "short: the whole host is handed out");
        assertEquals(plan(y.toString(), cpus), p, "pure: the same input gives the same plan");
    }
}
