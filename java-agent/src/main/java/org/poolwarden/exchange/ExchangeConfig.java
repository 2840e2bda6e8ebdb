package org.poolwarden.exchange;

import java.time.Duration;
import org.poolwarden.exchange.membership.ProbeOrder;

/**
 * Timings and sizes of the exchange. Use a profile ({@link #lan()}, {@link #wan()}) and change single fields with
 * {@link #toBuilder()}; {@link #validate()} names the first bad field.
 *
 * @param fastTick          how often changed entries and membership news are pushed to peers
 * @param gossipFanout      peers each membership push (and, with {@code treeFanout = 0}, each entry push) goes to,
 *                          per fast tick; also the peers an origin's retransmission is announced to
 * @param relayTransmitMult rumor push only ({@code treeFanout = 0}): each node sends a new entry
 *                          {@code mult * ceil(log10(n+1))} times in all
 * @param entryTtl          hops an entry may be relayed (an upper bound; the transmit limit usually stops it first)
 * @param retransmitMaxTicks the origin re-sends (tree: re-announces) its own entries after a random 1..range ticks,
 *                          range doubling up to this many ticks (0: never)
 * @param antiEntropyInterval how often a digest exchange with one random peer runs
 * @param treeFanout        eager push: a new entry goes in full to this many children in a tree over the members
 *                          drawn afresh for each entry version, so each host receives it once (0: rumor push)
 * @param lazyFanout        lazy push: each host announces each new entry (12-byte id) to this many other peers; a
 *                          host that lacks an announced entry when its tree copy is overdue pulls it
 * @param probeInterval     SWIM protocol period: one member probed per period (scaled by local health)
 * @param probeTimeout      wait for a direct ack before asking others to probe (scaled by local health)
 * @param indirectChecks    peers asked to probe indirectly
 * @param probeOrder        who probes whom each period: {@link ProbeOrder#ROTATING} (every member probed once per
 *                          period) or memberlist's {@link ProbeOrder#SHUFFLED}
 * @param suspicionMult     suspicion timeout = mult * max(1, log10 n) * probeInterval (Lifeguard's minimum)
 * @param suspicionMaxMult  maximum suspicion timeout, as a multiple of the minimum, when nobody confirms
 * @param suspicionFloor    the minimum never goes below this: it must exceed the longest stall we tolerate
 * @param awarenessMax      Lifeguard local health multiplier cap (1 = off)
 * @param broadcastTransmitMult membership news is sent {@code mult * ceil(log10(n+1))} times by each node
 * @param reapAfter         dead or left members (and their entries) are forgotten after this long
 * @param joinRetry         how often a node that knows nobody retries its seeds
 * @param pauseThreshold    a gap this long between ticks means this host was stalled (0: detection off)
 * @param maxPacketBytes    no packet is larger (the path MTU minus IP and UDP headers)
 * @param maxClockSkew      packets whose sender clock differs more are dropped (replay protection after a restart)
 * @param deadNoticeInterval a packet from a member held DEAD is answered with a direct Dead about it, at most this
 *                          often per member, so a member that was only cut off refutes at once (0: off)
 * @param gossipToTheDead   for this long after it was declared dead a member stays a gossip target, so it hears the
 *                          news and refutes (memberlist's GossipToTheDeadTime; 0: off)
 * @param reconnectInterval this host sends one Dead(target) plus its own Alive to one random DEAD member this often:
 *                          two sides that both declared each other dead find each other again (Serf's reconnect;
 *                          0: off)
 * @param reconnectFor      how long a DEAD member stays a reconnect target after it was reaped (only its id and
 *                          address are kept), so a partition longer than the reap heals too (Serf's
 *                          reconnect_timeout; 0: only until the reap)
 */
public record ExchangeConfig(
        Duration fastTick,
        int gossipFanout,
        int relayTransmitMult,
        int entryTtl,
        int retransmitMaxTicks,
        Duration antiEntropyInterval,
        int treeFanout,
        int lazyFanout,
        Duration probeInterval,
        Duration probeTimeout,
        int indirectChecks,
        ProbeOrder probeOrder,
        int suspicionMult,
        int suspicionMaxMult,
        Duration suspicionFloor,
        int awarenessMax,
        int broadcastTransmitMult,
        Duration reapAfter,
        Duration joinRetry,
        Duration pauseThreshold,
        int maxPacketBytes,
        Duration maxClockSkew,
        Duration deadNoticeInterval,
        Duration gossipToTheDead,
        Duration reconnectInterval,
        Duration reconnectFor) {

    /**
     * LAN (default): hosts in one data centre, RTT well under 1 ms, pauses (GC, CPU starvation) up to about 1 s.
     * Targets at 128 hosts: an entry everywhere within 250 ms, a dead host suspected within 1 s and declared
     * within 3 s, no false deaths, at most 20 KB/s per host with every host publishing once a second.
     */
    public static ExchangeConfig lan() {
        return new Builder()
                .fastTick(Duration.ofMillis(50))        // the agent's fast tick: pipe shares are recomputed at this rate
                .gossipFanout(4)                        // membership news: ~log4(n) ticks to reach everyone
                .relayTransmitMult(4)                   // rumor push only (memberlist's RetransmitMult)
                .entryTtl(8)                            // 8^8 hosts: never the limiting factor
                .retransmitMaxTicks(64)                 // back-off to 3.2 s: a settled entry costs one announcement
                                                        // round per ~1.6 s
                .antiEntropyInterval(Duration.ofSeconds(1)) // stragglers and joiners converge within a few seconds
                .treeFanout(8)                          // depth 3 at n=128 (1+8+64+512), 4 at n=1000: with one fast
                                                        // tick per hop an entry is everywhere within ~3-4 ticks
                .lazyFanout(2)                          // 2 x 12-byte announcements per host per entry: a host the
                                                        // tree missed (loss, a dead parent) hears of it with
                                                        // p ~ 1 - e^-2 from the first wave, ~1 after retransmits
                .probeInterval(Duration.ofMillis(200))  // each host probed ~5x/s in all: first failed probe ~200 ms
                                                        // after death
                .probeTimeout(Duration.ofMillis(100))   // LAN RTT < 1 ms; 100 ms leaves time for scheduling noise
                .indirectChecks(3)                      // SWIM's k: with 5% loss all 3 indirect paths fail with p < 1%
                .probeOrder(ProbeOrder.ROTATING)        // a dead host's first probe within ~1 period instead of an
                                                        // exponential wait (p99 ~4.6 periods)
                .suspicionMult(4)                       // memberlist's LAN multiplier
                .suspicionMaxMult(6)                    // memberlist's SuspicionMaxTimeoutMult
                .suspicionFloor(Duration.ofMillis(1500)) // > 1 s stall + one refutation round: a paused host is never
                                                        // declared
                .awarenessMax(8)                        // memberlist's AwarenessMaxMultiplier
                .broadcastTransmitMult(4)               // memberlist's RetransmitMult
                .reapAfter(Duration.ofSeconds(30))      // like memberlist's GossipToTheDeadTime: late news is absorbed
                .joinRetry(Duration.ofSeconds(1))       // a restarting seed is found within a second of it coming up
                .pauseThreshold(Duration.ofMillis(300)) // 6 missed ticks: longer than any scheduling jitter, shorter
                                                        // than a GC pause
                .maxPacketBytes(1400)                   // fits a 1500-byte Ethernet MTU under IPv6 + UDP headers
                .maxClockSkew(Duration.ofSeconds(60))   // NTP keeps hosts within ms; 60 s only catches broken clocks
                .deadNoticeInterval(Duration.ofSeconds(1)) // one small packet per second per dead sender at most
                .gossipToTheDead(Duration.ofSeconds(30)) // memberlist's GossipToTheDeadTime
                .reconnectInterval(Duration.ofSeconds(2)) // a healed partition is found within seconds; 0.5 small
                                                        // packets/s while any member is dead
                .reconnectFor(Duration.ofHours(24))     // Serf's reconnect_timeout: a day-long cut still heals
                .build();
    }

    /**
     * WAN: hosts across sites, RTT up to ~300 ms and lossier links. Slower and more patient: news still spreads in
     * a few hundred ms, failures are declared in about 10-20 s, and bandwidth stays low on expensive links.
     */
    public static ExchangeConfig wan() {
        return lan().toBuilder()
                .fastTick(Duration.ofMillis(100))       // half the packets of LAN; WAN RTT dominates anyway
                .retransmitMaxTicks(64)                 // back-off to 6.4 s at this tick: settled entries cost little
                .antiEntropyInterval(Duration.ofSeconds(5)) // digests are the expensive part on a paid link
                .treeFanout(8)                          // as LAN: depth 3-4, ~0.4 s plus RTTs at 1000 hosts
                .lazyFanout(2)                          // as LAN
                .probeInterval(Duration.ofSeconds(1))   // memberlist's LAN interval: RTT 300 ms needs room for ping-req
                .probeTimeout(Duration.ofMillis(700))   // > 2 WAN RTTs
                .suspicionMult(6)                       // memberlist's WAN multiplier
                .suspicionFloor(Duration.ofSeconds(5))  // WAN routing flaps last seconds
                .reapAfter(Duration.ofSeconds(60))      // news crosses slow links late; remember the dead longer
                .joinRetry(Duration.ofSeconds(5))       // a remote seed is retried without flooding the link
                .pauseThreshold(Duration.ofSeconds(2))  // WAN jitter is larger; only long stalls count
                .maxPacketBytes(1200)                   // tunnels (IPsec, WireGuard) eat into the MTU
                .deadNoticeInterval(Duration.ofSeconds(2)) // WAN RTTs: one notice per two seconds is still prompt
                .gossipToTheDead(Duration.ofSeconds(60)) // memberlist's WAN GossipToTheDeadTime
                .reconnectInterval(Duration.ofSeconds(10)) // WAN cuts last longer; a packet per 10 s per host is cheap
                .build();
    }

    /**
     * memberlist's DefaultLANConfig in this code, for side-by-side comparison: probe 1 s (timeout 500 ms), gossip
     * every 200 ms to 3 peers, RetransmitMult 4, SuspicionMult 4 with Lifeguard, push-pull every 30 s, rumor push
     * (no tree, no lazy push), no origin retransmission, no stall detection, no suspicion floor,
     * GossipToTheDeadTime 30 s and no dead notices or reconnects (those are Serf's, not memberlist's).
     */
    public static ExchangeConfig memberlistDefaults() {
        return lan().toBuilder()
                .fastTick(Duration.ofMillis(200)).gossipFanout(3).relayTransmitMult(4).entryTtl(255)
                .retransmitMaxTicks(0).antiEntropyInterval(Duration.ofSeconds(30)).treeFanout(0).lazyFanout(0)
                .probeInterval(Duration.ofSeconds(1)).probeTimeout(Duration.ofMillis(500)).indirectChecks(3)
                .probeOrder(ProbeOrder.SHUFFLED).suspicionMult(4).suspicionMaxMult(6).suspicionFloor(Duration.ZERO)
                .awarenessMax(8).broadcastTransmitMult(4).reapAfter(Duration.ofSeconds(30))
                .joinRetry(Duration.ofSeconds(1)).pauseThreshold(Duration.ZERO).maxPacketBytes(1400)
                .maxClockSkew(Duration.ofSeconds(60)).deadNoticeInterval(Duration.ZERO)
                .gossipToTheDead(Duration.ofSeconds(30)).reconnectInterval(Duration.ZERO).reconnectFor(Duration.ZERO)
                .build();
    }

    /** A builder holding this config's values: {@code lan().toBuilder().reapAfter(d).build()}. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** This config with dead-member recovery off (no notices, no gossip to the dead, no reconnects). */
    public ExchangeConfig withoutDeadRecovery() {
        return toBuilder().deadNoticeInterval(Duration.ZERO).gossipToTheDead(Duration.ZERO)
                .reconnectInterval(Duration.ZERO).reconnectFor(Duration.ZERO).build();
    }

    public ExchangeConfig withFastTick(Duration d) {
        return toBuilder().fastTick(d).build();
    }

    public ExchangeConfig withReapAfter(Duration d) {
        return toBuilder().reapAfter(d).build();
    }

    public ExchangeConfig withAntiEntropyInterval(Duration d) {
        return toBuilder().antiEntropyInterval(d).build();
    }

    public ExchangeConfig withProbeOrder(ProbeOrder order) {
        return toBuilder().probeOrder(order).build();
    }

    public ExchangeConfig withGossipFanout(int fanout) {
        return toBuilder().gossipFanout(fanout).build();
    }

    public ExchangeConfig withRelayTransmitMult(int mult) {
        return toBuilder().relayTransmitMult(mult).build();
    }

    public ExchangeConfig withRetransmitMaxTicks(int ticks) {
        return toBuilder().retransmitMaxTicks(ticks).build();
    }

    /** Mutable copy of a config; {@link #build()} does not validate (the node does, naming the field). */
    public static final class Builder {
        private Duration fastTick;
        private int gossipFanout;
        private int relayTransmitMult;
        private int entryTtl;
        private int retransmitMaxTicks;
        private Duration antiEntropyInterval;
        private int treeFanout;
        private int lazyFanout;
        private Duration probeInterval;
        private Duration probeTimeout;
        private int indirectChecks;
        private ProbeOrder probeOrder;
        private int suspicionMult;
        private int suspicionMaxMult;
        private Duration suspicionFloor;
        private int awarenessMax;
        private int broadcastTransmitMult;
        private Duration reapAfter;
        private Duration joinRetry;
        private Duration pauseThreshold;
        private int maxPacketBytes;
        private Duration maxClockSkew;
        private Duration deadNoticeInterval;
        private Duration gossipToTheDead;
        private Duration reconnectInterval;
        private Duration reconnectFor;

        public Builder() {
        }

        Builder(ExchangeConfig c) {
            fastTick = c.fastTick;
            gossipFanout = c.gossipFanout;
            relayTransmitMult = c.relayTransmitMult;
            entryTtl = c.entryTtl;
            retransmitMaxTicks = c.retransmitMaxTicks;
            antiEntropyInterval = c.antiEntropyInterval;
            treeFanout = c.treeFanout;
            lazyFanout = c.lazyFanout;
            probeInterval = c.probeInterval;
            probeTimeout = c.probeTimeout;
            indirectChecks = c.indirectChecks;
            probeOrder = c.probeOrder;
            suspicionMult = c.suspicionMult;
            suspicionMaxMult = c.suspicionMaxMult;
            suspicionFloor = c.suspicionFloor;
            awarenessMax = c.awarenessMax;
            broadcastTransmitMult = c.broadcastTransmitMult;
            reapAfter = c.reapAfter;
            joinRetry = c.joinRetry;
            pauseThreshold = c.pauseThreshold;
            maxPacketBytes = c.maxPacketBytes;
            maxClockSkew = c.maxClockSkew;
            deadNoticeInterval = c.deadNoticeInterval;
            gossipToTheDead = c.gossipToTheDead;
            reconnectInterval = c.reconnectInterval;
            reconnectFor = c.reconnectFor;
        }

        public Builder fastTick(Duration v) {
            fastTick = v;
            return this;
        }

        public Builder gossipFanout(int v) {
            gossipFanout = v;
            return this;
        }

        public Builder relayTransmitMult(int v) {
            relayTransmitMult = v;
            return this;
        }

        public Builder entryTtl(int v) {
            entryTtl = v;
            return this;
        }

        public Builder retransmitMaxTicks(int v) {
            retransmitMaxTicks = v;
            return this;
        }

        public Builder antiEntropyInterval(Duration v) {
            antiEntropyInterval = v;
            return this;
        }

        public Builder treeFanout(int v) {
            treeFanout = v;
            return this;
        }

        public Builder lazyFanout(int v) {
            lazyFanout = v;
            return this;
        }

        public Builder probeInterval(Duration v) {
            probeInterval = v;
            return this;
        }

        public Builder probeTimeout(Duration v) {
            probeTimeout = v;
            return this;
        }

        public Builder indirectChecks(int v) {
            indirectChecks = v;
            return this;
        }

        public Builder probeOrder(ProbeOrder v) {
            probeOrder = v;
            return this;
        }

        public Builder suspicionMult(int v) {
            suspicionMult = v;
            return this;
        }

        public Builder suspicionMaxMult(int v) {
            suspicionMaxMult = v;
            return this;
        }

        public Builder suspicionFloor(Duration v) {
            suspicionFloor = v;
            return this;
        }

        public Builder awarenessMax(int v) {
            awarenessMax = v;
            return this;
        }

        public Builder broadcastTransmitMult(int v) {
            broadcastTransmitMult = v;
            return this;
        }

        public Builder reapAfter(Duration v) {
            reapAfter = v;
            return this;
        }

        public Builder joinRetry(Duration v) {
            joinRetry = v;
            return this;
        }

        public Builder pauseThreshold(Duration v) {
            pauseThreshold = v;
            return this;
        }

        public Builder maxPacketBytes(int v) {
            maxPacketBytes = v;
            return this;
        }

        public Builder maxClockSkew(Duration v) {
            maxClockSkew = v;
            return this;
        }

        public Builder deadNoticeInterval(Duration v) {
            deadNoticeInterval = v;
            return this;
        }

        public Builder gossipToTheDead(Duration v) {
            gossipToTheDead = v;
            return this;
        }

        public Builder reconnectInterval(Duration v) {
            reconnectInterval = v;
            return this;
        }

        public Builder reconnectFor(Duration v) {
            reconnectFor = v;
            return this;
        }

        public ExchangeConfig build() {
            return new ExchangeConfig(fastTick, gossipFanout, relayTransmitMult, entryTtl, retransmitMaxTicks, antiEntropyInterval, treeFanout, lazyFanout, probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax, broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew, deadNoticeInterval, gossipToTheDead, reconnectInterval, reconnectFor);
        }
    }

    /** Throws with the name of the first field that is out of range. */
    public ExchangeConfig validate() {
        positive("fastTick", fastTick);
        range("gossipFanout", gossipFanout, 1, 64);
        range("relayTransmitMult", relayTransmitMult, 1, 64);
        range("entryTtl", entryTtl, 0, 255);
        range("retransmitMaxTicks", retransmitMaxTicks, 0, 1 << 20);
        positive("antiEntropyInterval", antiEntropyInterval);
        range("treeFanout", treeFanout, 0, 64);
        range("lazyFanout", lazyFanout, 0, 64);
        positive("probeInterval", probeInterval);
        positive("probeTimeout", probeTimeout);
        if (probeTimeout.compareTo(probeInterval) >= 0) {
            throw new IllegalArgumentException("exchange.probeTimeout " + probeTimeout + " must be shorter than probeInterval " + probeInterval);
        }
        range("indirectChecks", indirectChecks, 0, 16);
        if (probeOrder == null) {
            throw new IllegalArgumentException("exchange.probeOrder must be one of ROTATING, SHUFFLED, got null");
        }
        range("suspicionMult", suspicionMult, 1, 100);
        range("suspicionMaxMult", suspicionMaxMult, 1, 100);
        notNegative("suspicionFloor", suspicionFloor);
        range("awarenessMax", awarenessMax, 1, 64);
        range("broadcastTransmitMult", broadcastTransmitMult, 1, 64);
        positive("reapAfter", reapAfter);
        positive("joinRetry", joinRetry);
        notNegative("pauseThreshold", pauseThreshold);
        range("maxPacketBytes", maxPacketBytes, org.poolwarden.exchange.wire.PacketCodec.MIN_PACKET_BYTES, 65507);
        positive("maxClockSkew", maxClockSkew);
        notNegative("deadNoticeInterval", deadNoticeInterval);
        notNegative("gossipToTheDead", gossipToTheDead);
        notNegative("reconnectInterval", reconnectInterval);
        notNegative("reconnectFor", reconnectFor);
        return this;
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("exchange." + name + " must be a positive duration, got " + d);
        }
    }

    private static void notNegative(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("exchange." + name + " must not be negative, got " + d);
        }
    }

    private static void range(String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new IllegalArgumentException("exchange." + name + " = " + v + " outside " + lo + ".." + hi);
        }
    }

    /** Sends per node for a piece of news when the pool has {@code n} members. */
    public static int transmitLimit(int mult, int n) {
        return mult * (int) Math.ceil(Math.log10(n + 1.0));
    }
}
