package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CfsQuotaTest {

    @ParameterizedTest(name = "{0} CPUs at {1} us -> {2}")
    @CsvSource({
            "0.25, 100000, 25000", "1.0, 100000, 100000", "2.5, 100000, 250000", "0.01, 100000, 1000",
            "0.01, 1000, 1000", // clamped up to the kernel's 1 ms minimum
            "0.5, 1000000, 500000", "4096, 100000, 409600000", "0.333333, 100000, 33333",
    })
    void capToQuota(double cpus, long period, long quota) {
        CfsQuota q = CfsQuota.of(CpuCap.ofCpus(cpus), period);
        assertEquals(quota, q.quotaMicros());
        assertEquals(period, q.periodMicros());
    }

    @Test
    void noCapIsUnlimitedAndRendersAsMax() {
        CfsQuota q = CfsQuota.of(null);
        assertFalse(q.limited());
        assertEquals("max 100000", q.toCpuMax());
        assertNull(q.toCap());
        assertEquals(q, CfsQuota.parseCpuMax("max 100000\n"));
        assertEquals(q, CfsQuota.ofV1(-1, 100000));
        assertEquals(Double.POSITIVE_INFINITY, q.cpus());
    }

    @Test
    void cpuMaxTextRoundTrips() {
        CfsQuota q = CfsQuota.of(CpuCap.ofCpus(0.25));
        assertEquals("25000 100000", q.toCpuMax());
        assertEquals(q, CfsQuota.parseCpuMax("25000 100000\n"));
        assertEquals(0.25, q.toCap().cpus(), 0);
    }

    @Test
    void badInputIsRefusedNamingTheValue() {
        assertMessage("cpu cap 0.0 ", () -> CpuCap.ofCpus(0));
        assertMessage("cpu cap -1.0 ", () -> CpuCap.ofCpus(-1));
        assertMessage("cpu cap NaN ", () -> CpuCap.ofCpus(Double.NaN));
        assertMessage("cpu cap 5000.0 ", () -> CpuCap.ofCpus(5000));
        assertMessage("1.5 of the host", () -> CpuCap.ofHost(1.5, 2));
        assertMessage("host cpu count 0", () -> CpuCap.ofHost(0.5, 0));
        assertMessage("cfs period 999 ", () -> new CfsQuota(5000, 999));
        assertMessage("cfs period 1000001 ", () -> new CfsQuota(5000, 1_000_001));
        assertMessage("cfs quota 999 ", () -> new CfsQuota(999, 100000));
        assertMessage("'25000'", () -> CfsQuota.parseCpuMax("25000"));
        assertMessage("'x 100000'", () -> CfsQuota.parseCpuMax("x 100000"));
    }

    @Test
    void hostFractionScalesByCpuCount() {
        assertEquals(1.0, CpuCap.ofHost(0.5, 2).cpus(), 0);
        assertEquals(32000, CfsQuota.of(CpuCap.ofHost(0.04, 8)).quotaMicros());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
        assertFalse(x.getMessage().contains("\n"), "one line");
    }

    @Property
    void capRoundTripsWithinHalfAMicrosecondPerPeriod(@ForAll @DoubleRange(min = 0.01, max = 4096) double cpus,
            @ForAll @LongRange(min = 1000, max = 1_000_000) long period) {
        CfsQuota q = CfsQuota.of(CpuCap.ofCpus(cpus), period);
        assertTrue(q.quotaMicros() >= CfsQuota.QUOTA_MIN, "never below the kernel minimum, never 0");
        double back = q.cpus();
        if (cpus * period >= CfsQuota.QUOTA_MIN) {
            assertEquals(cpus, back, 0.5 / period + 1e-12);
        } else {
            assertEquals((double) CfsQuota.QUOTA_MIN / period, back, 0, "clamped up to 1 ms");
        }
        assertEquals(q, CfsQuota.parseCpuMax(q.toCpuMax()));
    }

    @Property
    void quotaIsMonotoneInTheCap(@ForAll @DoubleRange(min = 0.01, max = 4096) double a,
            @ForAll @DoubleRange(min = 0.01, max = 4096) double b) {
        double lo = Math.min(a, b);
        double hi = Math.max(a, b);
        assertTrue(CfsQuota.of(CpuCap.ofCpus(lo)).quotaMicros() <= CfsQuota.of(CpuCap.ofCpus(hi)).quotaMicros());
    }
}
