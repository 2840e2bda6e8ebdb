package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostClassSplitterTest {

    static final PipeConfig PIPE = PipeConfig.of("wan", 20_000); // 1000 B per 50 ms tick

    @Test
    void rateIsBookedShareAndCeilIsHostCredit() {
        HostGrant g = new HostGrant("h", false, 300, 400, 100, 900);
        List<ClassRate> r = HostClassSplitter.split(PIPE, g, g.creditBytes(), List.of(
                new AppClassDemand("x", 200, 0),
                new AppClassDemand("y", 100, 1000),
                new AppClassDemand("z", 0, 100)));
        assertEquals(new ClassRate("x", 4000, 16000, 200), r.get(0));
        assertEquals(2000, r.get(1).rateBytesPerSec());
        assertEquals(0, r.get(2).rateBytesPerSec());
        // 500 left after bookings: z takes its 100, y the remaining 400.
        assertEquals(100 + 400, r.get(1).expectedBytes());
        assertEquals(100, r.get(2).expectedBytes());
    }

    @Test
    void bookingsCutByThePipeScaleTheClassRates() {
        HostGrant g = new HostGrant("h", false, 150, 0, 0, 150);
        List<ClassRate> r = HostClassSplitter.split(PIPE, g, 150, List.of(
                new AppClassDemand("x", 200, 0), new AppClassDemand("y", 100, 0)));
        assertEquals(2000, r.get(0).rateBytesPerSec());
        assertEquals(1000, r.get(1).rateBytesPerSec());
        assertEquals(3000, r.get(0).ceilBytesPerSec());
    }

    @Test
    void overdraftHeldBackLowersCeilAndRatesStayBelowIt() {
        HostGrant g = new HostGrant("h", false, 500, 0, 0, 500);
        List<ClassRate> r = HostClassSplitter.split(PIPE, g, 100, List.of(new AppClassDemand("x", 500, 0)));
        assertEquals(2000, r.get(0).ceilBytesPerSec());
        assertTrue(r.get(0).rateBytesPerSec() <= r.get(0).ceilBytesPerSec());
        assertEquals(100, r.get(0).expectedBytes());
    }

    @Test
    void negativeDemandIsRejectedWithItsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AppClassDemand("x", -1, 0));
        assertTrue(e.getMessage().startsWith("app class x:"));
    }
}
