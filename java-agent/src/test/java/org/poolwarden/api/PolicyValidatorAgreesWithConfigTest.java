package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;
import org.poolwarden.config.PoolwardenConfig;

/**
 * A policy set through the API must be accepted exactly when the same policy in the config file would be: the
 * validator here and the config binder (org.poolwarden.config) must not drift apart.
 */
class PolicyValidatorAgreesWithConfigTest {
    static final String PIPES = """
            pipes:
              - name: wan
                interface: eth0
                capacity: 100mbit
              - name: lan
                interface: eth1
                capacity: 1gbit
            """;
    static final PoolwardenConfig BASE = FakeAgentApi.config(PIPES + "apps: []\n");

    @Provide
    Arbitrary<Policy> policies() {
        Arbitrary<Integer> prio = Arbitraries.integers().between(-1, 12);
        Arbitrary<Double> pct = Arbitraries.of(0.0, 0.5, 25.0, 50.0, 100.0, 100.5);
        Arbitrary<CpuPolicy> cpu = Combinators.combine(
                Arbitraries.of(-1, 0, 1, 100, 10000, 10001).injectNull(0.5), pct.injectNull(0.5), pct.injectNull(0.5))
                .as(CpuPolicy::new).injectNull(0.2);
        Arbitrary<Amount> amount = Arbitraries.of((Amount) new Amount.BitsPerSecond(30_000_000),
                new Amount.BitsPerSecond(200_000_000), new Amount.BitsPerSecond(1_000_000_000),
                new Amount.Percent(10), new Amount.Percent(100), new Amount.Percent(150), new Amount.Percent(0),
                new Amount.BitsPerSecond(0)).injectNull(0.3);
        Arbitrary<BandwidthPolicy> bw = Combinators.combine(Arbitraries.of("wan", "lan", "dmz"), amount, amount)
                .as(BandwidthPolicy::new);
        return Combinators.combine(prio, cpu, bw.list().ofMaxSize(2)).as(Policy::new);
    }

    @Property(tries = 1000)
    void sameVerdictAsTheConfigFile(@ForAll("policies") Policy p) {
        boolean api = PolicyValidator.validate(p, BASE.pipes()).isEmpty();
        Statistics.label("verdict").collect(api ? "valid" : "invalid");
        ConfigLoader.Result file = ConfigLoader.parse("p.yaml", PIPES + "apps:\n  - name: a\n    processRules:\n"
                + "      - name: x\n    policy: " + ApiJson.write(p) + "\n");
        assertEquals(file.valid(), api, () -> "api errors " + PolicyValidator.validate(p, BASE.pipes())
                + ", file errors " + file.errors() + " for " + ApiJson.write(p));
        if (file.valid()) assertEquals(p, file.config().app("a").policy(), "reads back the same policy");
    }
}
