package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.share.ShareCounters.Counter;

/** The coordinator over real exchange nodes on the simulated network, three hosts sharing a 30 Mbit/s pipe. */
class PipeShareCoordinatorTest {

    static final long TICK = 50_000_000L;
    static final long CAP = 3_750_000L; // 30 Mbit/s in bytes per second
    static final PipeConfig PIPE = PipeConfig.of("wan", CAP);
    static final double Q = PIPE.bytesPerInterval();
    static final String[] APP = {null, "a", "b", "c"};
    static final double[] BOOKED = {0, 0.5, 0.3, 0.2};

    static SharedPipe pipeOf(int host) {
        TreeMap<String, Integer> apps = new TreeMap<>();
        apps.put(APP[host], 0x10);
        return new SharedPipe(PIPE, "eth0", 1_000_000_000L, apps, 0x2, List.of(), java.util.Set.of());
    }

    static SharePool pool(long seed) {
        SharePool p = new SharePool(seed, 3, ExchangeConfig.lan(), TICK, h -> List.of(pipeOf(h)), true).start();
        p.runMillis(300);
        PipeShareCoordinator c1 = p.coordinator(1);
        for (int h = 1; h <= 3; h++) {
            c1.setPolicy("pipe/wan/" + APP[h], PolicyCatalog.body(BOOKED[h] * 100, 1));
        }
        return p;
    }

    static void saturate(SharePool p, int host) {
        p.traffic[host].queued.put(APP[host], (long) (10 * Q));
    }

    static long credit(SharePool p, int host) {
        return p.coordinator(host).grant("wan").map(HostGrant::creditBytes).orElse(-1L);
    }

    static long totalCredit(SharePool p) {
        long s = 0;
        for (int h = 1; h <= p.size(); h++) {
            if (p.host(h).isAlive()) {
                s += Math.max(0, credit(p, h));
            }
        }
        return s;
    }

    @Test
    void policiesSpreadAndSaturatedHostsGetTheirBookingsOnTheirHtbTrees() {
        SharePool p = pool(1);
        for (int h = 1; h <= 3; h++) {
            saturate(p, h);
        }
        p.runMillis(2000);
        String digest = p.coordinator(1).policies().digest();
        for (int h = 1; h <= 3; h++) {
            assertEquals(digest, p.coordinator(h).policies().digest(), "host " + h + " has the same policy set");
            assertEquals(3, PolicyCatalog.of(p.coordinator(h).policies()).pipes().get("wan").size());
        }
        for (int round = 0; round < 20; round++) {
            p.runMillis(50);
            for (int h = 1; h <= 3; h++) {
                double want = BOOKED[h] * Q;
                assertEquals(want, credit(p, h), 0.02 * Q, "host " + h + " gets its booking");
            }
            assertTrue(totalCredit(p) <= Q, "credits " + totalCredit(p) + " within the pipe " + Q);
        }
        // steady demand: every host computes the same grants for everybody, not only its own
        for (int h = 2; h <= 3; h++) {
            assertEquals(p.coordinator(1).allocation("wan").orElseThrow().grants(),
                    p.coordinator(h).allocation("wan").orElseThrow().grants(), "host " + h + "'s view of all grants");
        }
        for (int h = 1; h <= 3; h++) {
            long rootBits = p.tc[h].classRate("eth0", 1);
            long appBits = p.tc[h].classRate("eth0", 0x10);
            long defaultBits = p.tc[h].classRate("eth0", 0x2);
            double want = BOOKED[h] * CAP * 8;
            assertEquals(want, rootBits, 0.01 * want, "host " + h + " HTB share = its credit");
            assertTrue(rootBits <= want, "never above the credit");
            assertEquals(SharedPipe.DEFAULT_CLASS_RATE_BITS, defaultBits, "the default class keeps its rate");
            assertEquals(want - defaultBits, appBits, 0.01 * want, "host " + h + " HTB rate of its app: the rest");
            assertTrue(p.coordinator(h).counters().get(Counter.TC_APPLIED) > 0);
            assertEquals(0, p.coordinator(h).counters().get(Counter.TC_ERRORS));
        }
    }

    @Test
    void whenOneHostStopsSendingTheOthersTakeItsPartWithinAFewRounds() {
        SharePool p = pool(2);
        for (int h = 1; h <= 3; h++) {
            saturate(p, h);
        }
        p.runMillis(2000);
        p.traffic[3].queued.put("c", 0L);
        p.runMillis(500); // 10 rounds
        double taken = credit(p, 1) + credit(p, 2);
        assertTrue(taken >= 0.95 * Q, "hosts 1 and 2 take host 3's part: " + taken / Q);
        assertTrue(credit(p, 1) >= BOOKED[1] * Q && credit(p, 2) >= BOOKED[2] * Q, "bookings kept");
        assertTrue(totalCredit(p) <= Q + 1);
    }

    @Test
    void aFailedHostIsReleasedInTheRoundAfterTheEventAndRestoredWhenItReturns() {
        SharePool p = pool(3);
        for (int h = 1; h <= 3; h++) {
            saturate(p, h);
        }
        p.runMillis(2000);
        assertTrue(p.coordinator(1).allocation("wan").orElseThrow().grant("3").isPresent());
        p.kill(3);
        long killed = p.now();
        long released = -1;
        long firstRoundWithout = -1;
        for (int i = 0; i < 400 && firstRoundWithout < 0; i++) {
            p.runMillis(5);
            if (released < 0 && p.coordinator(1).counters().get(Counter.MEMBER_RELEASED) > 0) {
                released = p.now();
            }
            PipeAllocation a = p.coordinator(1).allocation("wan").orElseThrow();
            if (released >= 0 && a.grant("3").isEmpty()) {
                firstRoundWithout = p.now();
            }
        }
        assertTrue(released > killed, "membership declared host 3 failed");
        assertTrue(firstRoundWithout - released <= TICK, "released within one round of the event: "
                + (firstRoundWithout - released) / 1e6 + " ms");
        p.runMillis(500);
        assertTrue(credit(p, 1) + credit(p, 2) >= 0.95 * Q, "the survivors use the pipe");

        p.restart(3, 1);
        saturate(p, 3);
        p.runMillis(3000);
        assertTrue(p.coordinator(1).counters().get(Counter.MEMBER_RESTORED) > 0
                || p.coordinator(1).allocation("wan").orElseThrow().grant("3").isPresent());
        for (int h = 1; h <= 3; h++) {
            assertEquals(BOOKED[h] * Q, credit(p, h), 0.02 * Q, "host " + h + " back to its booking");
        }
        assertEquals(p.coordinator(1).policies(), p.coordinator(3).policies(), "the returning host has the policies");
    }

    @Test
    void concurrentUpdatesOfOnePolicyResolveTheSameWayEverywhere() {
        SharePool p = new SharePool(4, 4, ExchangeConfig.lan(), TICK, h -> List.of(pipeOf(Math.min(h, 3))), false)
                .start();
        p.runMillis(300);
        // hosts 1 and 4 both write version 1 of the same key at the same moment: origin "4" wins everywhere
        p.coordinator(1).setPolicy("pipe/wan/a", PolicyCatalog.body(10, 1));
        p.coordinator(4).setPolicy("pipe/wan/a", PolicyCatalog.body(40, 1));
        p.coordinator(2).setPolicy("cpu/a", PolicyCatalog.body(25, 3));
        p.runMillis(2000);
        for (int h = 1; h <= 4; h++) {
            assertEquals("4", p.coordinator(h).policies().get("pipe/wan/a").orElseThrow().originId());
            assertEquals(p.coordinator(1).policies(), p.coordinator(h).policies(), "host " + h);
        }
        // a later update from the loser raises the version and wins
        p.coordinator(1).setPolicy("pipe/wan/a", PolicyCatalog.body(15, 1));
        p.runMillis(2000);
        for (int h = 1; h <= 4; h++) {
            assertEquals("percent=15.0;priority=1", p.coordinator(h).policies().get("pipe/wan/a").orElseThrow().body());
        }
        // a deletion spreads as a tombstone
        p.coordinator(3).setPolicy("cpu/a", null);
        p.runMillis(2000);
        for (int h = 1; h <= 4; h++) {
            assertFalse(p.coordinator(h).policies().get("cpu/a").isPresent(), "host " + h);
        }
    }

    @Test
    void ownEntryCarriesOnlyLocalNumbers() {
        SharePool p = pool(5);
        saturate(p, 1);
        p.runMillis(1000);
        PipeDemandEntry mine = p.coordinator(1).published("wan").orElseThrow();
        assertEquals(Math.floor(0.5 * Q), mine.bookedBytes(), 1.0, "booked part capped at the booking");
        // what stays queued after this interval's part (the test's queue does not drain)
        assertTrue(mine.unbookedBytes() >= 10 * Q - 0.5 * Q - Q - 1 && mine.unbookedBytes() <= 10 * Q,
                "unbooked = the rest of the local queue: " + mine);
        long now = PIPE.intervalAt(p.now());
        // unchanged demand is refreshed every refresh period (3 members: 10 intervals), not every interval; this
        // interval's round may not have run yet
        assertTrue(mine.interval() <= now && mine.interval() >= now - PIPE.refreshIntervals(3),
                "published within the refresh period: " + mine.interval() + " at " + now);
    }

    @Test
    void steadyDemandIsRefreshedNotRepublishedAndAChangeGoesOutAtOnce() {
        SharePool p = pool(7);
        saturate(p, 1);
        p.runMillis(1000);
        PipeShareCoordinator c = p.coordinator(1);
        long published = c.counters().get(Counter.DEMAND_PUBLISHED);
        long suppressed = c.counters().get(Counter.DEMAND_SUPPRESSED);
        p.runMillis(2000); // 40 rounds of a queue that stays 10 intervals deep
        long pub = c.counters().get(Counter.DEMAND_PUBLISHED) - published;
        long sup = c.counters().get(Counter.DEMAND_SUPPRESSED) - suppressed;
        assertEquals(40, pub + sup, "one decision per round");
        assertTrue(pub >= 40 / PIPE.refreshIntervals() && pub <= 40 / PIPE.refreshIntervals() + 2,
                "refreshed every " + PIPE.refreshIntervals() + " intervals: " + pub + " of 40");
        // the peers count the host at the entry it published, fresh all along
        for (int h = 2; h <= 3; h++) {
            HostGrant g = p.coordinator(h).allocation("wan").orElseThrow().grant("1").orElseThrow();
            assertFalse(g.stale(), "host 1 fresh at host " + h);
        }
        // the queue drains: news at the next round
        PipeDemandEntry before = c.published("wan").orElseThrow();
        p.traffic[1].queued.put(APP[1], 0L);
        p.runMillis(100);
        PipeDemandEntry after = c.published("wan").orElseThrow();
        assertTrue(after.interval() > before.interval() && after.unbookedBytes() == 0 && after.bookedBytes() == 0,
                "a drained queue is published at once: " + before + " -> " + after);
    }

    @Test
    void worthPublishingNeedsARealChangeOrTheRefresh() {
        PipeConfig cfg = PIPE; // refresh 10, change 10%
        double fair = cfg.bytesPerInterval() / 3;
        PipeDemandEntry last = new PipeDemandEntry("wan", 100, 1000, 5 * fair, 1);
        assertFalse(PipeShareCoordinator.worthPublishing(cfg, last, new PipeDemandEntry("wan", 101, 1000,
                5.4 * fair, 1), 101, 3), "8% more unbooked is not news");
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, last, new PipeDemandEntry("wan", 101, 1000,
                5.6 * fair, 1), 101, 3), "12% more is");
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, last, new PipeDemandEntry("wan", 101, 1000 + 0.2 * fair,
                5 * fair, 1), 101, 3), "a booking that grew does not wait");
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, last, new PipeDemandEntry("wan", 110, 1000,
                5 * fair, 1), 110, 3), "refresh due");
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, null, last, 100, 3), "first entry");
        // at 128 members unbooked news waits for the publish gap (16 intervals), bookings do not
        PipeDemandEntry big = new PipeDemandEntry("wan", 100, 0, 0, 1);
        assertFalse(PipeShareCoordinator.worthPublishing(cfg, big, new PipeDemandEntry("wan", 110, 0, Q, 1), 110,
                128));
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, big, new PipeDemandEntry("wan", 116, 0, Q, 1), 116,
                128));
        assertTrue(PipeShareCoordinator.worthPublishing(cfg, big, new PipeDemandEntry("wan", 101, Q / 10, 0, 1), 101,
                128));
    }

    @Test
    void memberEventsOfThisHostAreIgnored() {
        SharePool p = pool(6);
        p.coordinator(1).onMemberEvent(new MemberEvent(MemberEvent.Type.FAILED, 1, null, 0, p.now()));
        assertEquals(0, p.coordinator(1).counters().get(Counter.MEMBER_RELEASED));
    }
}
