package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;

class PolicyValidatorTest {
    static final List<Pipe> PIPES = List.of(new Pipe("wan", "eth0", 100_000_000), new Pipe("lan", "eth1", 1_000_000_000));

    static Amount bits(long b) {
        return new Amount.BitsPerSecond(b);
    }

    static Amount pct(double p) {
        return new Amount.Percent(p);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(new Policy(5, null, List.of()), List.of()),
                Arguments.of(new Policy(1, new CpuPolicy(1, null, 100.0), List.of()), List.of()),
                Arguments.of(new Policy(10, new CpuPolicy(10000, null, null), List.of()), List.of()),
                Arguments.of(new Policy(0, null, List.of()), List.of("priority: must be from 1 to 10, found 0")),
                Arguments.of(new Policy(11, null, List.of()), List.of("priority: must be from 1 to 10, found 11")),
                Arguments.of(new Policy(5, new CpuPolicy(0, null, null), List.of()),
                        List.of("cpu.weight: must be from 1 to 10000, found 0")),
                Arguments.of(new Policy(5, new CpuPolicy(10001, null, null), List.of()),
                        List.of("cpu.weight: must be from 1 to 10000, found 10001")),
                Arguments.of(new Policy(5, new CpuPolicy(null, null, null), List.of()),
                        List.of("cpu: give weight, percent or cap")),
                Arguments.of(new Policy(5, new CpuPolicy(100, 20.0, null), List.of()),
                        List.of("cpu.percent: give either weight or percent, not both")),
                Arguments.of(new Policy(5, new CpuPolicy(null, 0.0, null), List.of()),
                        List.of("cpu.percent: must be a percentage above 0 and at most 100, found 0%")),
                Arguments.of(new Policy(5, new CpuPolicy(null, 40.0, 30.0), List.of()),
                        List.of("cpu.cap: cap 30% is below the guaranteed percent 40%")),
                Arguments.of(new Policy(5, new CpuPolicy(null, null, 100.5), List.of()),
                        List.of("cpu.cap: must be a percentage above 0 and at most 100, found 100.5%")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", bits(100_000_000), pct(100)))),
                        List.of()),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", bits(100_000_001), null))),
                        List.of("bandwidth[0].booking: booking 100000001bit exceeds the capacity of pipe \"wan\" (100mbit)")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", pct(30), bits(20_000_000)))),
                        List.of("bandwidth[0].burst: burst 20mbit is below the booking 30%")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("dmz", bits(1), null))),
                        List.of("bandwidth[0].pipe: unknown pipe \"dmz\" (defined: lan, wan)")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", null, null))),
                        List.of("bandwidth[0]: give booking, burst or both")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", bits(0), null))),
                        List.of("bandwidth[0].booking: must be above 0, found 0")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("wan", pct(10), null),
                        new BandwidthPolicy("wan", pct(20), null))),
                        List.of("bandwidth[1].pipe: pipe \"wan\" already has an entry in this policy")),
                Arguments.of(new Policy(5, null, List.of(new BandwidthPolicy("bad name", pct(10), null))),
                        List.of("bandwidth[0].pipe: \"bad name\" is not a valid pipe name")),
                Arguments.of(new Policy(0, new CpuPolicy(0, null, null), List.of(new BandwidthPolicy("x", null, null))),
                        List.of("priority: must be from 1 to 10, found 0", "cpu.weight: must be from 1 to 10000, found 0",
                                "bandwidth[0].pipe: unknown pipe \"x\" (defined: lan, wan)",
                                "bandwidth[0]: give booking, burst or both")));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void table(Policy p, List<String> expected) {
        assertEquals(expected, PolicyValidator.validate(p, PIPES).stream().map(FieldError::toString).toList());
    }

    @Test
    void noPolicyIsValidAndWithoutPipesOnlyLikeAmountsCompare() {
        assertEquals(List.of(), PolicyValidator.validate(null, PIPES));
        Policy p = new Policy(5, null, List.of(new BandwidthPolicy("dmz", pct(30), bits(1))));
        assertEquals(List.of(), PolicyValidator.validate(p, null), "percent vs bits needs the capacity");
        Policy q = new Policy(5, null, List.of(new BandwidthPolicy("dmz", bits(30), bits(10))));
        assertEquals(List.of("bandwidth[0].burst: burst 10bit is below the booking 30bit"),
                PolicyValidator.validate(q, null).stream().map(FieldError::toString).toList());
    }

    @Property
    void weightsAreValidExactlyInTheirRange(@ForAll @IntRange(min = -5, max = 10010) int w) {
        boolean valid = PolicyValidator.validate(new Policy(5, new CpuPolicy(w, null, null), List.of()), PIPES)
                .isEmpty();
        assertEquals(w >= 1 && w <= 10000, valid);
    }

    @Property
    void aBookingFitsExactlyWhenItIsAtMostTheCapacity(@ForAll @IntRange(min = 1, max = 200) int mbit) {
        List<FieldError> e = PolicyValidator.validate(new Policy(5, null,
                List.of(new BandwidthPolicy("wan", bits(mbit * 1_000_000L), null))), PIPES);
        assertEquals(mbit <= 100, e.isEmpty());
        e.forEach(x -> assertTrue(x.field().equals("bandwidth[0].booking"), x.toString()));
    }
}
