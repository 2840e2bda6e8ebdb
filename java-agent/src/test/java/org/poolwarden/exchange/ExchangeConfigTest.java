package org.poolwarden.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.sim.SimCluster;

class ExchangeConfigTest {

    @Test
    void profilesAreValid() {
        ExchangeConfig.lan().validate();
        ExchangeConfig.wan().validate();
        ExchangeConfig.memberlistDefaults().validate();
        assertEquals(Duration.ofMillis(50), ExchangeConfig.lan().fastTick());
        assertEquals(1400, ExchangeConfig.lan().maxPacketBytes());
    }

    @Test
    void validationNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExchangeConfig.lan().withFastTick(Duration.ZERO).validate());
        assertTrue(e.getMessage().contains("exchange.fastTick"), e.getMessage());
        ExchangeConfig l = ExchangeConfig.lan();
        ExchangeConfig badTimeout = l.toBuilder().probeTimeout(Duration.ofSeconds(1)).build();
        e = assertThrows(IllegalArgumentException.class, badTimeout::validate);
        assertTrue(e.getMessage().contains("probeTimeout"), e.getMessage());
        ExchangeConfig tinyMtu = l.toBuilder().maxPacketBytes(500).build();
        e = assertThrows(IllegalArgumentException.class, tinyMtu::validate);
        assertTrue(e.getMessage().contains("maxPacketBytes = 500"), e.getMessage());
    }

    @Test
    void builderCopiesEveryFieldAndChangesOnlyTheOneSet() {
        for (ExchangeConfig c : List.of(ExchangeConfig.lan(), ExchangeConfig.wan(), ExchangeConfig.memberlistDefaults())) {
            assertEquals(c, c.toBuilder().build());
            ExchangeConfig reaped = c.withReapAfter(Duration.ofSeconds(7));
            assertEquals(Duration.ofSeconds(7), reaped.reapAfter());
            assertEquals(c, reaped.toBuilder().reapAfter(c.reapAfter()).build());
        }
        ExchangeConfig off = ExchangeConfig.lan().withoutDeadRecovery();
        assertEquals(List.of(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO),
                List.of(off.deadNoticeInterval(), off.gossipToTheDead(), off.reconnectInterval(), off.reconnectFor()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExchangeConfig.lan().toBuilder().reconnectInterval(Duration.ofSeconds(-1)).build().validate());
        assertTrue(e.getMessage().contains("exchange.reconnectInterval"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ExchangeConfig.lan().toBuilder().treeFanout(65).build().validate());
        assertTrue(e.getMessage().contains("exchange.treeFanout"), e.getMessage());
    }

    @Test
    void transmitLimitGrowsWithLogOfPoolSize() {
        assertEquals(4, ExchangeConfig.transmitLimit(4, 1));
        assertEquals(8, ExchangeConfig.transmitLimit(4, 16));
        assertEquals(12, ExchangeConfig.transmitLimit(4, 128));
        assertEquals(16, ExchangeConfig.transmitLimit(4, 1000));
    }

    @Test
    void wanProfileDetectsAFailureWithinItsSlowerBounds() {
        SimCluster c = new SimCluster(31, ExchangeConfig.wan(), 12);
        c.net.latency(40_000_000, 60_000_000); // 40..100 ms one way
        c.startJoiningVia(1);
        c.runMillis(8000);
        assertTrue(c.converged());
        c.events.clear();
        long t0 = c.net.now();
        c.host(5).kill();
        c.runMillis(40_000);
        List<SimCluster.Observed> failed = c.events.stream()
                .filter(o -> o.event().member() == 5 && o.event().type() == MemberEvent.Type.FAILED).toList();
        assertEquals(11, failed.size());
        long last = failed.stream().mapToLong(o -> o.event().atNanos()).max().orElseThrow() - t0;
        // WAN min suspicion timeout = max(5 s, 6 * log10(12) * 1 s) = 6.5 s; allow for the probe round and gossip
        assertTrue(last > 6_000_000_000L && last < 20_000_000_000L, "declared after " + last / 1_000_000 + " ms");
        assertEquals(0, c.events.stream().filter(o -> o.event().member() != 5).count());
    }
}
