package org.poolwarden.tc.htb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HtbArithmeticTest {
    /** What this machine's kernel advertises (and every kernel with high-resolution timers). */
    static final Psched P = Psched.parse("000003e8 00000040 000f4240 3b9aca00\n");
    static final int MTU = HtbArithmetic.DEFAULT_MTU;

    @Test
    void pschedIsReadLikeIproute2() {
        assertEquals(15.625, P.tickInUsec(), 1e-12);
        assertEquals(1_000_000_000L, P.iprouteHz());
        assertEquals(P, Psched.MODERN);
        // an old-style file whose clock_res is not 1 MHz: iproute2 falls back to HZ 100
        assertEquals(100, Psched.parse("000003e8 00000040 3b9aca00 000003e8").iprouteHz());
        assertThrows(IllegalArgumentException.class, () -> Psched.parse("zz"));
        assertThrows(IllegalArgumentException.class, () -> Psched.parse("1 2 3 x"));
    }

    @ParameterizedTest(name = "{0} bit/s")
    @CsvSource({
            // rate bit/s,  burst bytes, iproute2 ticks, our ticks, quantum, rate32 (unsigned), needs64
            "1000000,       1600,        200000,         200000,    12500,   125000,            false",
            "8000,          1600,        25000000,       25000000,  1600,    1000,              false",
            "100000,        1600,        2000000,        2000000,   1600,    12500,             false",
            "40000000,      1600,        5000,           5000,      200000,  5000000,           false",
            // 1 Gbit: 12.8 us truncated to 12 us = 187 ticks (the value LESSONS.md calls right)
            "1000000000,    1600,        187,            187,       200000,  125000000,         false",
            "10000000000,   1601,        15,             15,        200000,  1250000000,        false",
            // 40 Gbit: iproute2 truncates 0.321 us to 0 -> burst 0; ours rounds 321 ns up to 6 ticks of 64 ns
            "40000000000,   1605,        0,              6,         200000,  4294967295,        true",
            "100000000000,  1612,        0,              3,         200000,  4294967295,        true",
    })
    void rateTable(long bits, long burst, long iprouteTicks, long ourTicks, int quantum, long rate32, boolean needs64) {
        long rate = HtbArithmetic.bytesPerSecond(bits);
        assertEquals(burst, HtbArithmetic.defaultBurstBytes(rate, MTU, P));
        assertEquals(iprouteTicks, HtbArithmetic.iprouteXmitTicks(rate, burst, P));
        assertEquals(ourTicks, HtbArithmetic.burstTicks(rate, burst, P));
        assertEquals(quantum, HtbArithmetic.quantum(rate, HtbArithmetic.DEFAULT_R2Q, MTU));
        assertEquals(rate32, Integer.toUnsignedLong(HtbArithmetic.rate32(rate)));
        assertEquals(needs64, HtbArithmetic.needsRate64(rate));
    }

    @Test
    void rate64ThresholdIsTwoToTheThirtyTwoBytesPerSecond() {
        assertFalse(HtbArithmetic.needsRate64((1L << 32) - 1));
        assertEquals(0xFFFF_FFFE, HtbArithmetic.rate32((1L << 32) - 2));
        assertTrue(HtbArithmetic.needsRate64(1L << 32));
        assertEquals(0xFFFF_FFFF, HtbArithmetic.rate32(1L << 32));
    }

    @Test
    void cellLogFitsTheMtuInto256Cells() {
        assertEquals(3, HtbArithmetic.cellLog(1600));
        assertEquals(3, HtbArithmetic.cellLog(2047));
        assertEquals(3, HtbArithmetic.cellLog(0));
        assertEquals(0, HtbArithmetic.cellLog(255));
        assertEquals(1, HtbArithmetic.cellLog(256));
        assertEquals(6, HtbArithmetic.cellLog(9000 + 14));
    }

    @Test
    void rateTableAtOneMegabitMatchesTc() {
        int[] t = HtbArithmetic.rateTable(125_000, MTU, 0, P);
        // cell i covers (i+1)*8 bytes: 8 bytes at 125000 B/s = 64 us = 1000 ticks
        assertEquals(1000, t[0]);
        assertEquals(256 * 8 * 1_000_000L / 125_000 * 15.625, t[255], 0.0);
    }

    @Test
    void burstBytesUseTheRealHzNotAGuess() {
        Psched hz250 = new Psched(1000, 64, 1_000_000, 250);
        // with HZ 250 a 1 Gbit class would get 500 KB of burst; this kernel's psched says 1e9: one MTU
        assertEquals(500_000 + 1600, HtbArithmetic.defaultBurstBytes(125_000_000, MTU, hz250));
        assertEquals(1600, HtbArithmetic.defaultBurstBytes(125_000_000, MTU, P));
    }

    @Property
    void quantumIsAlwaysWithinMtuAndTheKernelsWarningLimit(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long rate,
                                                             @ForAll @IntRange(min = 1, max = 1000) int r2q,
                                                             @ForAll @IntRange(min = 68, max = 65535) int mtu) {
        int q = HtbArithmetic.quantum(rate, r2q, mtu);
        assertTrue(q >= Math.min(mtu, HtbArithmetic.MAX_QUANTUM) || q == mtu);
        assertTrue(q <= Math.max(mtu, HtbArithmetic.MAX_QUANTUM));
    }

    @Property
    void burstIsNeverZeroTicksAndCoversTheBurstBytes(@ForAll @LongRange(min = 1000, max = 1L << 40) long rate,
                                                     @ForAll @IntRange(min = 64, max = 65535) int mtu) {
        long burst = HtbArithmetic.defaultBurstBytes(rate, mtu, P);
        long ticks = HtbArithmetic.burstTicks(rate, burst, P);
        assertTrue(ticks > 0, "burst of " + burst + " bytes at " + rate + " B/s got 0 ticks");
        // the kernel gets at least the burst time minus iproute2's truncation (under 1 us + 1 tick), never less
        double exactNanos = 1e9 * burst / rate;
        assertTrue(ticks * 64.0 >= exactNanos - 1000 - 64, ticks + " ticks for " + exactNanos + " ns");
        assertTrue(ticks * 64.0 <= exactNanos + 64, ticks + " ticks for " + exactNanos + " ns");
    }

    @Property
    void rateTablesAreMonotonic(@ForAll @LongRange(min = 1000, max = 1L << 36) long rate) {
        int[] t = HtbArithmetic.rateTable(rate, MTU, 0, P);
        for (int i = 1; i < t.length; i++) {
            assertTrue(Integer.toUnsignedLong(t[i]) >= Integer.toUnsignedLong(t[i - 1]));
        }
    }

    @Property
    void ratesRoundTripThrough32And64BitFields(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long rate) {
        long decoded = HtbArithmetic.needsRate64(rate) ? rate : Integer.toUnsignedLong(HtbArithmetic.rate32(rate));
        assertEquals(rate, decoded);
    }

    @Property
    void xmitSizeInvertsTheTickConversion(@ForAll @LongRange(min = 1000, max = 1_000_000_000) long rate,
                                          @ForAll @IntRange(min = 1600, max = 1_000_000) int size) {
        net.jqwik.api.Assume.that((double) size / rate < 270);
        long ticks = HtbArithmetic.iprouteXmitTicks(rate, size, P);
        long back = HtbArithmetic.xmitSize(rate, ticks, P);
        // truncation to whole microseconds loses at most 1 us (+1 tick) of bytes
        assertTrue(back <= size && size - back <= rate / 1_000_000.0 * 1.07 + 1, size + " -> " + ticks + " -> " + back);
    }

    @Test
    void aBurstLongerThanTheTickFieldIsRefusedNotWrapped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HtbArithmetic.burstTicks(1000, 300_000, P));
        assertTrue(e.getMessage().contains("burst of 300000 bytes"), e.getMessage());
        assertEquals(4_218_750_000L, HtbArithmetic.burstTicks(1000, 270_000, P));
    }

    @Test
    void treeR2qKeepsTheFastestQuantumUnderTheWarningLimitAndTheRatiosIntact() {
        assertEquals(10, HtbArithmetic.treeR2q(125_000));
        assertEquals(10, HtbArithmetic.treeR2q(2_000_000));
        assertEquals(19, HtbArithmetic.treeR2q(3_750_000)); // 30 Mbit
        assertEquals(25_000, HtbArithmetic.treeR2q(5_000_000_000L)); // 40 Gbit
        int r2q = HtbArithmetic.treeR2q(3_750_000);
        int a = HtbArithmetic.quantum(3_750_000, r2q, MTU);
        int b = HtbArithmetic.quantum(1_250_000, r2q, MTU);
        assertTrue(a <= HtbArithmetic.MAX_QUANTUM);
        assertEquals(3.0, (double) a / b, 0.001);
    }

    @Property
    void treeR2qNeverLetsAQuantumExceedTheLimit(@ForAll @LongRange(min = 1, max = 1L << 40) long maxRate) {
        int r2q = HtbArithmetic.treeR2q(maxRate);
        assertTrue(maxRate / r2q <= HtbArithmetic.MAX_QUANTUM);
        assertTrue(r2q == 10 || maxRate / (r2q - 1) > HtbArithmetic.MAX_QUANTUM, "smallest such r2q");
    }

    @Test
    void classOptionsValidateTheirFields() {
        assertThrows(IllegalArgumentException.class, () -> HtbClassOptions.of(0, 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HtbClassOptions.of(10, 5));
        assertTrue(e.getMessage().contains("ceil"));
        assertThrows(IllegalArgumentException.class, () -> new HtbClassOptions(1, 1, 0, 0, 0, 8, 1600));
        HtbClassOptions o = HtbClassOptions.of(125_000, 250_000);
        assertEquals(12500, o.effectiveQuantum(10));
        assertEquals(777, o.withQuantum(777).effectiveQuantum(10));
        assertEquals(1600, o.effectiveBurst(P));
        assertEquals(1600, o.effectiveCburst(P));
    }
}
