package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CpuWeightsTest {

    @ParameterizedTest(name = "{0}: shares {1} -> weight {2}")
    @CsvSource({
            // boundaries the field gets wrong: 2 (minimum), 1024 (one CPU, the default), 262144 (maximum)
            "LINEAR, 2, 1", "LINEAR, 1024, 100", "LINEAR, 262144, 10000",
            "QUADRATIC, 2, 1", "QUADRATIC, 1024, 100", "QUADRATIC, 262144, 10000",
            // out of range: clamped, never 0
            "LINEAR, 0, 1", "LINEAR, -5, 1", "LINEAR, 1, 1", "LINEAR, 262145, 10000", "LINEAR, 9999999, 10000",
            "QUADRATIC, 0, 1", "QUADRATIC, 1, 1", "QUADRATIC, 262145, 10000",
            // inside: linear is proportional, quadratic is not (3072:1024 -> 240:100)
            "LINEAR, 3072, 300", "LINEAR, 10, 1", "LINEAR, 11, 1", "LINEAR, 2048, 200", "LINEAR, 102400, 10000",
            "QUADRATIC, 3, 2", "QUADRATIC, 6, 3", "QUADRATIC, 2048, 174", "QUADRATIC, 3072, 240",
            "QUADRATIC, 262143, 10000",
    })
    void sharesToWeight(WeightMapping m, long shares, long weight) {
        assertEquals(weight, m.sharesToWeight(shares));
    }

    @ParameterizedTest(name = "{0}: weight {1} -> shares {2}")
    @CsvSource({
            "LINEAR, 1, 10", "LINEAR, 100, 1024", "LINEAR, 300, 3072", "LINEAR, 10000, 102400",
            "LINEAR, 0, 10", "LINEAR, 20000, 102400",
            "QUADRATIC, 1, 2", "QUADRATIC, 100, 1024", "QUADRATIC, 10000, 262144", "QUADRATIC, 2, 5",
            "QUADRATIC, 0, 2", "QUADRATIC, 99999, 262144",
    })
    void weightToShares(WeightMapping m, long weight, long shares) {
        assertEquals(shares, m.weightToShares(weight));
    }

    @Test
    void theOldRuncFormulaIsNotWhatWeUse() {
        // runc < 1.3.2 mapped one CPU (1024 shares) to weight 39; both of ours map it to 100.
        long oldRunc = 1 + ((1024 - 2) * 9999) / 262142;
        assertEquals(39, oldRunc);
        for (WeightMapping m : WeightMapping.values()) {
            assertEquals(100, m.sharesToWeight(1024), m.name());
        }
    }

    @Test
    void convertRecordsTheMappingAndRefusesOutOfRangeWeights() {
        CpuWeights.Converted c = CpuWeights.convert(300, WeightMapping.LINEAR);
        assertEquals(new CpuWeights.Converted(300, 300, 3072, WeightMapping.LINEAR), c);
        CpuWeights.Converted q = CpuWeights.convert(100, WeightMapping.QUADRATIC);
        assertEquals(WeightMapping.QUADRATIC, q.mapping());
        assertEquals(1024, q.cpuShares());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuWeights.convert(0, WeightMapping.LINEAR));
        assertTrue(e.getMessage().contains("cpu weight 0 "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuWeights.convert(10001, WeightMapping.LINEAR));
        assertTrue(e.getMessage().contains("10001"), e.getMessage());
        assertEquals(new CpuWeights.Converted(1, 1, 2, WeightMapping.QUADRATIC), CpuWeights.fromShares(1, WeightMapping.QUADRATIC));
    }

    @Test
    void log2IsExactForPowersOfTwo() {
        for (int i = 1; i < 62; i++) {
            assertEquals(i, WeightMapping.log2(1L << i));
        }
        assertEquals(Math.log(3) / Math.log(2), WeightMapping.log2(3), 1e-12);
        assertEquals(Math.log(262143) / Math.log(2), WeightMapping.log2(262143), 1e-12);
    }

    @Property
    void sharesToWeightIsMonotoneClampedAndNeverZero(@ForAll WeightMapping m,
            @ForAll @LongRange(min = -10, max = 300_000) long a, @ForAll @LongRange(min = -10, max = 300_000) long b) {
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        long wl = m.sharesToWeight(lo);
        long wh = m.sharesToWeight(hi);
        assertTrue(wl <= wh, () -> lo + "->" + wl + " but " + hi + "->" + wh);
        assertTrue(wl >= CpuWeights.WEIGHT_MIN && wh <= CpuWeights.WEIGHT_MAX);
    }

    @Property
    void weightToSharesIsMonotoneClampedAndNeverZero(@ForAll WeightMapping m,
            @ForAll @LongRange(min = -10, max = 12_000) long a, @ForAll @LongRange(min = -10, max = 12_000) long b) {
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        long sl = m.weightToShares(lo);
        long sh = m.weightToShares(hi);
        assertTrue(sl <= sh, () -> lo + "->" + sl + " but " + hi + "->" + sh);
        assertTrue(sl >= CpuWeights.SHARES_MIN && sh <= CpuWeights.SHARES_MAX);
    }

    @Property
    void weightRoundTripsWithinOneStep(@ForAll WeightMapping m, @ForAll @LongRange(min = 1, max = 10_000) long w) {
        long back = m.sharesToWeight(m.weightToShares(w));
        if (m == WeightMapping.QUADRATIC) {
            assertEquals(w, back, "quadratic reaches every weight exactly");
        } else {
            assertTrue(back == w || back == w - 1, () -> w + " came back as " + back);
        }
    }

    @Property
    void sharesRoundTripStaysInTheSameWeightStep(@ForAll WeightMapping m,
            @ForAll @LongRange(min = 2, max = 262_144) long s) {
        long w = m.sharesToWeight(s);
        long back = m.weightToShares(w);
        long wBack = m.sharesToWeight(back);
        assertTrue(Math.abs(wBack - w) <= 1, () -> s + "->" + w + "->" + back + "->" + wBack);
    }

    @Property
    void everyQuadraticWeightStepIsAtMostOne(@ForAll @LongRange(min = 2, max = 262_143) long s) {
        long d = WeightMapping.QUADRATIC.sharesToWeight(s + 1) - WeightMapping.QUADRATIC.sharesToWeight(s);
        assertTrue(d == 0 || d == 1, () -> "step at " + s + " is " + d);
    }

    @Property
    void linearKeepsRatios(@ForAll @LongRange(min = 1, max = 3333) long w) {
        // shares = w × 10.24 floored: the 3:1 ratio is off by less than one share in w × 10.24
        double ratio = (double) WeightMapping.LINEAR.weightToShares(3 * w) / WeightMapping.LINEAR.weightToShares(w);
        assertEquals(3.0, ratio, 3.0 / (w * 10.24 - 1) + 1e-9);
    }

    @Test
    void quadraticDistortsRatiosWhichIsWhyLinearIsTheDefault() {
        double ratio = (double) WeightMapping.QUADRATIC.sharesToWeight(3072) / WeightMapping.QUADRATIC.sharesToWeight(1024);
        assertEquals(2.4, ratio, 1e-9);
    }

    @Property
    void capAnywhereInRangeKeepsItsValue(@ForAll @DoubleRange(min = 0.01, max = 4096) double cpus) {
        // a cap anywhere in range is accepted and keeps its value
        assertEquals(cpus, CpuCap.ofCpus(cpus).cpus());
    }
}
