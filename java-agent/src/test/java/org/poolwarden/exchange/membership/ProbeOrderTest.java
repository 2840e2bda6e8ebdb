package org.poolwarden.exchange.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.wire.Message;

/**
 * Who probes whom, on bare {@link Membership} instances wired to each other without loss or latency: with
 * {@link ProbeOrder#ROTATING} every member is probed exactly once per round; with {@link ProbeOrder#SHUFFLED} some
 * rounds leave a member unprobed (which is where SWIM's detection tail comes from).
 */
class ProbeOrderTest {
    static final long MS = 1_000_000L;
    static final long EPOCH_MILLIS = 1_780_000_000_000L;
    /** Non-contiguous ids, so the ring is by id order and not by position. */
    static final long[] IDS = {3, 17, 42, 99, 100, 512, 777, 1000, 4096, 65_537, 70_000};

    /** A tiny pool: messages are handled at the instant they are sent, in order. */
    static final class Pool {
        final long[] wall = {EPOCH_MILLIS};
        final Map<Long, Membership> nodes = new TreeMap<>();
        final Map<InetSocketAddress, Long> byAddress = new HashMap<>();
        final ArrayDeque<Object[]> queue = new ArrayDeque<>();
        final Map<Long, ExchangeCounters> counters = new HashMap<>();
        /** round -> target -> probes received (direct pings from their probers). */
        final Map<Long, Map<Long, Integer>> probesByRound = new TreeMap<>();
        /** prober -> its probe targets in order. */
        final Map<Long, List<Long>> targetsOf = new HashMap<>();
        long now;

        Pool(ExchangeConfig cfg, long[] ids) {
            for (long id : ids) {
                InetSocketAddress a = address(id);
                byAddress.put(a, id);
                ExchangeCounters c = new ExchangeCounters();
                counters.put(id, c);
                nodes.put(id, new Membership(cfg, id, a, 0, 0, new Random(id), () -> wall[0], c, new Membership.Outbox() {
                    @Override
                    public void sendDirect(InetSocketAddress to, List<Message> messages) {
                        queue.add(new Object[] {id, a, to, messages});
                    }

                    @Override
                    public void broadcast(long member, Message message) {
                    }

                    @Override
                    public void event(MemberEvent event) {
                    }

                    @Override
                    public void forget(long member) {
                    }
                }));
            }
            for (Membership m : nodes.values()) {
                for (long id : ids) {
                    m.seed(id, address(id), 0);
                }
            }
        }

        @SuppressWarnings("unchecked")
        void deliver() {
            while (!queue.isEmpty()) {
                Object[] q = queue.poll();
                Long to = byAddress.get((InetSocketAddress) q[2]);
                for (Message msg : (List<Message>) q[3]) {
                    if (msg instanceof Message.Ping p && p.target() == to) {
                        probesByRound.computeIfAbsent(Math.floorDiv(wall[0], 200), r -> new TreeMap<>()).merge(to, 1, Integer::sum);
                        targetsOf.computeIfAbsent((Long) q[0], x -> new ArrayList<>()).add(to);
                    }
                    nodes.get(to).handle(msg, (InetSocketAddress) q[1], (Long) q[0], now);
                }
            }
        }

        /** Runs every node's timers at their deadlines until {@code untilNanos}. */
        void runUntil(long untilNanos) {
            Map<Long, Long> due = new HashMap<>();
            nodes.keySet().forEach(id -> due.put(id, 0L));
            while (true) {
                long next = due.values().stream().mapToLong(Long::longValue).min().orElseThrow();
                if (next >= untilNanos) {
                    return;
                }
                now = Math.max(now, next);
                wall[0] = EPOCH_MILLIS + now / MS;
                for (Map.Entry<Long, Membership> e : nodes.entrySet()) {
                    if (due.get(e.getKey()) <= now) {
                        due.put(e.getKey(), e.getValue().tick(now));
                        deliver();
                    }
                }
            }
        }
    }

    static InetSocketAddress address(long id) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, (byte) (id >>> 16), (byte) (id >>> 8), (byte) id}), 7946);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rounds fully inside the run (the first and the last are partial: probing starts at a random phase). */
    static List<Map<Long, Integer>> wholeRounds(Pool p) {
        List<Map<Long, Integer>> rounds = new ArrayList<>(p.probesByRound.values());
        return rounds.subList(1, rounds.size() - 1);
    }

    @Test
    void rotatingProbesEveryMemberExactlyOncePerRound() {
        Pool p = new Pool(ExchangeConfig.lan(), IDS);
        p.runUntil(30 * 200 * MS);
        List<Map<Long, Integer>> rounds = wholeRounds(p);
        assertTrue(rounds.size() >= 25, "rounds seen: " + rounds.size());
        for (Map<Long, Integer> r : rounds) {
            assertEquals(IDS.length, r.size(), "every member probed in the round: " + r);
            assertTrue(r.values().stream().allMatch(c -> c == 1), "nobody probed twice: " + r);
        }
        for (long id : IDS) {
            assertEquals(0, p.counters.get(id).get(Counter.PROBES_FAILED));
            // every member probed once per round, so each host also sends one probe per round
            long sent = p.counters.get(id).get(Counter.PROBES_SENT);
            assertTrue(sent >= 29 && sent <= 30, id + " sent " + sent);
        }
    }

    @Test
    void rotatingWalksEachProberThroughAllOthersEveryNMinusOneRounds() {
        Pool p = new Pool(ExchangeConfig.lan(), IDS);
        int n = IDS.length;
        p.runUntil(3L * (n - 1) * 200 * MS);
        for (long id : IDS) {
            List<Long> t = p.targetsOf.get(id);
            assertTrue(t.size() >= 3 * (n - 1) - 1, id + " probed " + t.size() + " times");
            for (int i = 0; i + n - 1 <= t.size(); i++) {
                assertEquals(n - 1, new HashSet<>(t.subList(i, i + n - 1)).size(),
                        id + ": any n-1 consecutive probes cover all others: " + t);
            }
            assertFalse(t.contains(id), "never itself");
        }
    }

    @Test
    void rotatingWithStretchedPeriodsStillWalksThroughAllOthers() {
        // 7 members: a prober whose own health stretches its period to 2 or 3 rounds used to follow the wall clock
        // to every 2nd or 3rd round's target, and with n - 1 = 6 that is the same half or third of the members
        // every time (the others went unprobed by it for as long as it stayed degraded)
        long[] ids = java.util.Arrays.copyOf(IDS, 7);
        for (int stretch : new int[] {2, 3, 4}) {
            Pool p = new Pool(ExchangeConfig.lan(), ids);
            Membership slow = p.nodes.get(ids[2]);
            int n = ids.length;
            long step = 50 * MS;
            for (long t = step; t <= 4L * (n - 1) * stretch * 200 * MS; t += step) {
                p.runUntil(t);
                // held at this stretch: every successful probe would bring it back by one
                slow.awareness().apply(stretch - 1 - slow.awareness().score());
            }
            List<Long> t = p.targetsOf.get(ids[2]);
            assertTrue(t.size() >= 3 * (n - 1), "stretch " + stretch + ": probed " + t.size() + " times");
            for (int i = 0; i + n - 1 <= t.size(); i++) {
                assertEquals(n - 1, new HashSet<>(t.subList(i, i + n - 1)).size(),
                        "stretch " + stretch + ": any n-1 consecutive probes cover all others: " + t);
            }
        }
    }

    @Test
    void shuffledLeavesSomeMemberUnprobedInSomeRounds() {
        Pool p = new Pool(ExchangeConfig.lan().withProbeOrder(ProbeOrder.SHUFFLED), IDS);
        p.runUntil(30 * 200 * MS);
        List<Map<Long, Integer>> rounds = wholeRounds(p);
        long roundsWithAGap = rounds.stream().filter(r -> r.size() < IDS.length).count();
        // independent choices: a given member is missed in a round with p ~ (1 - 1/(n-1))^(n-1) ~ 1/e
        assertTrue(roundsWithAGap > rounds.size() / 2, roundsWithAGap + " of " + rounds.size() + " rounds had a gap");
    }
}
