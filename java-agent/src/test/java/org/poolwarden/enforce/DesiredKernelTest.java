package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.Inventory;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyCalculator;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.FlowMatch;
import org.poolwarden.tc.bandwidth.SpecValidator;

class DesiredKernelTest {
    static final String CONFIG = """
            pipes:
              - {name: uplink, interface: eth0, capacity: 40mbit}
            apps:
              - name: web.v2
                flowRules:
                  - {protocol: tcp, localPort: 443}
                  - {protocol: any, remoteAddress: 10.0.0.0/8, remotePort: 53}
                  - {protocol: udp, remotePort: 9000-9100}
                  - {protocol: tcp, remoteAddress: "2001:db8::/32"}
                policy: {bandwidth: [{pipe: uplink, booking: 40mbit}]}
              - name: bulk
                flowRules: [{protocol: sctp, localPort: 9}, {protocol: udp}]
                policy: {bandwidth: [{pipe: uplink, burst: 50%}]}
              - name: cpuonly
                processRules: [{name: x}]
                policy: {cpu: {percent: 50, cap: 50}}
            """;

    static DesiredKernel of(String yaml, Set<String> ingress) {
        PoolwardenConfig c = FakeHost.config(yaml);
        return DesiredKernel.of(PolicyCalculator.plan(c, new HostResources(4, Map.of())), c,
                new Inventory("h", Map.of("cpuonly", new Inventory.Instance("cpuonly", "h", List.of(7))), 0, 1),
                new DesiredKernel.Layout("poolwarden", true, ingress));
    }

    @Test
    void bookingsBecomeBitRatesAndAnUnbookedAppGetsTheMinimumTakenFromTheLargest() {
        BandwidthSpec s = of(CONFIG, Set.of()).pipes().get("uplink");
        assertEquals("eth0", s.device());
        assertEquals(40_000_000, s.egress().share());
        BandwidthSpec.AppClass web = s.egress().apps().get(0);
        BandwidthSpec.AppClass bulk = s.egress().apps().get(1);
        assertEquals(new BandwidthSpec.AppClass("web.v2", 0x10, 40_000_000 - SpecValidator.MIN_RATE, 40_000_000), web);
        assertEquals(new BandwidthSpec.AppClass("bulk", 0x11, SpecValidator.MIN_RATE, 20_000_000), bulk);
        assertEquals(new BandwidthSpec.DefaultClass(2, SpecValidator.MIN_RATE, 40_000_000), s.egress().defaultClass());
        assertNull(s.ingress());
        SpecValidator.validate(s);
    }

    @Test
    void cpuGroupsCarryWeightCapAndProcesses() {
        DesiredKernel d = of(CONFIG, Set.of());
        var g = d.cpu().stream().filter(x -> x.group().name().equals("cpuonly")).findFirst().orElseThrow();
        assertEquals(5000, g.group().weight(), "50% of the host in basis points");
        assertEquals(2.0, g.group().cap().cpus(), 1e-9, "a cap of 50% of 4 CPUs");
        assertEquals(Set.of(7), g.pids());
        assertEquals(3, d.cpu().size(), "every app gets a group");
    }

    @Test
    void flowRulesGoToNftablesUnderSafeNamesAndUnexpressibleOnesAreReported() {
        DesiredKernel d = of(CONFIG, Set.of());
        assertEquals(List.of("web_x2e_v2", "bulk"), d.flows().apps().stream().map(a -> a.name()).toList());
        assertEquals("5057:10", d.flows().apps().get(0).classId().toString());
        assertNull(d.flows().apps().get(0).cgroup(), "no process rules: no socket match");
        assertEquals(4, d.flows().rules().size());
        assertEquals(2, d.skipped().size(), d.skipped().toString());
        assertTrue(d.skipped().get(0).contains("sctp") && d.skipped().get(1).contains("protocol alone"),
                d.skipped().toString());
        assertTrue(d.cgroup2().isEmpty(), "cpuonly has no bandwidth, so it needs no socket match");
    }

    @Test
    void ingressIsClassifiedByU32WithTheRemoteSideAsSource() {
        BandwidthSpec s = of(CONFIG, Set.of("uplink")).pipes().get("uplink");
        List<BandwidthSpec.Classifier> c = s.ingress().classifiers();
        // tcp 443 local; any → tcp and udp to 10/8:53; the port range and the IPv6 rule cannot be u32 exact matches
        assertEquals(List.of(
                new BandwidthSpec.Classifier(1, new FlowMatch(6, null, 0, null, 0, null, 443), 0x10),
                new BandwidthSpec.Classifier(2, new FlowMatch(6, v4("10.0.0.0"), 8, null, 0, 53, null), 0x10),
                new BandwidthSpec.Classifier(3, new FlowMatch(17, v4("10.0.0.0"), 8, null, 0, 53, null), 0x10)), c);
        SpecValidator.validate(s);
    }

    @Test
    void aPlanThatBreaksItsContractIsRefusedNamingThePlace() {
        PoolwardenConfig c = FakeHost.config(CONFIG);
        var plan = PolicyCalculator.plan(c, new HostResources(4, Map.of()));
        PoolwardenConfig other = FakeHost.config(CONFIG.replace("capacity: 40mbit", "capacity: 10mbit")
                .replace("booking: 40mbit", "booking: 8mbit"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DesiredKernel.of(plan, other,
                new Inventory("h", Map.of(), 0, 0), new DesiredKernel.Layout("poolwarden", false, Set.of())));
        assertTrue(e.getMessage().contains("uplink") && e.getMessage().contains("web.v2"), e.getMessage());
    }

    static java.net.Inet4Address v4(String s) {
        try {
            return (java.net.Inet4Address) java.net.InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
