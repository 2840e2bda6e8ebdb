package org.poolwarden.exchange;

import java.time.Duration;
import org.poolwarden.exchange.membership.ProbeOrder;

/**
 * Timings and sizes of the exchange. Use a profile ({@link #lan()}, {@link #wan()}) and change single fields with
 * the {@code with...} methods; {@link #validate()} names the first bad field.
 *
 * @param fastTick          how often changed entries and membership news are pushed to peers
 * @param gossipFanout      peers each push goes to, per fast tick
 * @param relayTransmitMult each node sends a new entry {@code mult * ceil(log10(n+1))} times in all
 * @param entryTtl          hops an entry may be relayed (an upper bound; the transmit limit usually stops it first)
 * @param retransmitMaxTicks the origin re-sends its own entries after a random 1..range ticks, range doubling up to
 *                           this many ticks (0: never)
 * @param antiEntropyInterval how often a digest exchange with one random peer runs
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
 */
public record ExchangeConfig(
        Duration fastTick,
        int gossipFanout,
        int relayTransmitMult,
        int entryTtl,
        int retransmitMaxTicks,
        Duration antiEntropyInterval,
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
        Duration maxClockSkew) {

    /**
     * LAN (default): hosts in one data centre, RTT well under 1 ms, pauses (GC, CPU starvation) up to about 1 s.
     * Targets at 128 hosts: an entry everywhere within 250 ms, a dead host suspected within 1 s and declared
     * within 3 s, no false deaths.
     */
    public static ExchangeConfig lan() {
        return new ExchangeConfig(
                Duration.ofMillis(50),   // the agent's fast tick: pipe shares are recomputed at this rate
                4,                       // 4 peers/tick: ~log4(n) ticks to reach everyone, few duplicates
                4,                       // 4*ceil(log10(n+1)) sends (memberlist's RetransmitMult): a host misses
                                         // an entry with p ~ e^-12 at n=128, so stragglers are rare
                8,                       // 4^8 > 65k hosts: never the limiting factor below that
                64,                      // back-off to 3.2 s: a settled entry costs ~1 retransmission per 1.6 s
                Duration.ofSeconds(1),   // stragglers and joiners converge within a few seconds
                Duration.ofMillis(200),  // each host is probed ~5x/s in all: first failed probe ~200 ms after death
                Duration.ofMillis(100),  // LAN RTT < 1 ms; 100 ms leaves time for scheduling noise
                3,                       // SWIM's k: with 5% loss all 3 indirect paths fail with p < 1%
                ProbeOrder.ROTATING,     // a dead host's first probe within ~1 period instead of an exponential wait
                                         // (p99 ~4.6 periods): first suspicion within ~400 ms at any pool size
                4,                       // memberlist's LAN multiplier
                6,                       // memberlist's SuspicionMaxTimeoutMult
                Duration.ofMillis(1500), // > 1 s stall + one refutation round: a paused host is never declared
                8,                       // memberlist's AwarenessMaxMultiplier
                4,                       // memberlist's RetransmitMult
                Duration.ofSeconds(30),  // like memberlist's GossipToTheDeadTime: late news about it is absorbed
                Duration.ofSeconds(1),   // a restarting seed is found within a second of it coming up
                Duration.ofMillis(300),  // 6 missed ticks: longer than any scheduling jitter, shorter than a GC pause
                1400,                    // fits a 1500-byte Ethernet MTU under IPv6 + UDP headers with room for tunnels
                Duration.ofSeconds(60)); // NTP keeps hosts within milliseconds; 60 s only catches broken clocks
    }

    /**
     * WAN: hosts across sites, RTT up to ~300 ms and lossier links. Slower and more patient: news still spreads in
     * a few hundred ms, failures are declared in about 10-20 s, and bandwidth stays low on expensive links.
     */
    public static ExchangeConfig wan() {
        return new ExchangeConfig(
                Duration.ofMillis(100),  // half the packets of LAN; WAN RTT dominates anyway
                4,                       // as LAN: ~log4(n) rounds
                4,                       // as LAN; a WAN miss is repaired by the origin's retransmission
                8,                       // as LAN
                64,                      // back-off to 6.4 s at this tick: settled entries cost little on paid links
                Duration.ofSeconds(5),   // digests are the expensive part on a paid link
                Duration.ofSeconds(1),   // memberlist's LAN interval: RTT 300 ms needs room for ping-req legs
                Duration.ofMillis(700),  // > 2 WAN RTTs
                3,                       // as LAN
                ProbeOrder.ROTATING,     // as LAN; NTP keeps WAN clocks within ms of each other, far below 1 s
                6,                       // memberlist's WAN multiplier
                6,                       // memberlist's SuspicionMaxTimeoutMult
                Duration.ofSeconds(5),   // WAN routing flaps last seconds
                8,                       // as LAN
                4,                       // as LAN
                Duration.ofSeconds(60),  // news crosses slow links late; remember the dead longer
                Duration.ofSeconds(5),   // a remote seed is retried without flooding the link
                Duration.ofSeconds(2),   // WAN scheduling and RTT jitter are larger; only long stalls count
                1200,                    // tunnels (IPsec, WireGuard) eat into the MTU
                Duration.ofSeconds(60)); // as LAN
    }

    /**
     * memberlist's DefaultLANConfig in this code, for side-by-side comparison: probe 1 s (timeout 500 ms), gossip
     * every 200 ms to 3 peers, RetransmitMult 4, SuspicionMult 4 with Lifeguard, push-pull every 30 s, no origin
     * retransmission, no stall detection, no suspicion floor.
     */
    public static ExchangeConfig memberlistDefaults() {
        return new ExchangeConfig(Duration.ofMillis(200), 3, 4, 255, 0, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(500), 3, ProbeOrder.SHUFFLED, 4, 6, Duration.ZERO, 8, 4,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ZERO, 1400, Duration.ofSeconds(60));
    }

    /** Throws with the name of the first field that is out of range. */
    public ExchangeConfig validate() {
        positive("fastTick", fastTick);
        range("gossipFanout", gossipFanout, 1, 64);
        range("relayTransmitMult", relayTransmitMult, 1, 64);
        range("entryTtl", entryTtl, 0, 255);
        range("retransmitMaxTicks", retransmitMaxTicks, 0, 1 << 20);
        positive("antiEntropyInterval", antiEntropyInterval);
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

    public ExchangeConfig withFastTick(Duration d) {
        return new ExchangeConfig(d, gossipFanout, relayTransmitMult, entryTtl, retransmitMaxTicks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withReapAfter(Duration d) {
        return new ExchangeConfig(fastTick, gossipFanout, relayTransmitMult, entryTtl, retransmitMaxTicks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, d, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withAntiEntropyInterval(Duration d) {
        return new ExchangeConfig(fastTick, gossipFanout, relayTransmitMult, entryTtl, retransmitMaxTicks, d,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withProbeOrder(ProbeOrder order) {
        return new ExchangeConfig(fastTick, gossipFanout, relayTransmitMult, entryTtl, retransmitMaxTicks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, order, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withGossipFanout(int fanout) {
        return new ExchangeConfig(fastTick, fanout, relayTransmitMult, entryTtl, retransmitMaxTicks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withRelayTransmitMult(int mult) {
        return new ExchangeConfig(fastTick, gossipFanout, mult, entryTtl, retransmitMaxTicks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }

    public ExchangeConfig withRetransmitMaxTicks(int ticks) {
        return new ExchangeConfig(fastTick, gossipFanout, relayTransmitMult, entryTtl, ticks, antiEntropyInterval,
                probeInterval, probeTimeout, indirectChecks, probeOrder, suspicionMult, suspicionMaxMult, suspicionFloor, awarenessMax,
                broadcastTransmitMult, reapAfter, joinRetry, pauseThreshold, maxPacketBytes, maxClockSkew);
    }
}
