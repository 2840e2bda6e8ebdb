package org.poolwarden.exchange.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.membership.ProbeOrder;
import org.poolwarden.exchange.sim.SimCluster;
import org.poolwarden.exchange.sim.SimHost;

/**
 * The exchange in the simulator at N = 16, 128, 1000, with poolwarden's LAN profile and, in the same simulator
 * and code, a model of memberlist's defaults. Writes target/bench/exchange.json. Run: mvn -Pbench verify
 * (-Dexchange.bench.sizes=16,128 and -Dexchange.bench.profiles=poolwarden-lan to shorten; -Dexchange.bench.killTrials,
 * -Dexchange.bench.falsePositiveSeconds; -Dexchange.bench.sections=dissemination,cost to skip the kill and pause runs,
 * -Dexchange.bench.out=NAME to write target/bench/NAME.json; exploration: -Dexchange.bench.treeFanout (0: rumor push),
 * lazyFanout, gossipFanout, relayTransmitMult, antiEntropyMillis).
 */
@Tag("bench")
class ExchangeBenchmark {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    @Test
    void run() throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("exchange.bench.sizes", "16,128,1000").split(","))
                .mapToInt(x -> Integer.parseInt(x.trim())).toArray();
        double load0 = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("setup", Map.of(
                "simulator", "deterministic discrete-event, one JVM; same ExchangeNode code as over UDP",
                "latency", "one-way 0.2 ms + uniform(0, 0.3 ms)",
                "cpu", "thread CPU time inside ExchangeNode.tick/receive (HMAC, codec, logic), simulator excluded",
                "machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")));
        Map<String, ExchangeConfig> profiles = new LinkedHashMap<>();
        ExchangeConfig lan = ExchangeConfig.lan();
        // exploration: -Dexchange.bench.gossipFanout / relayTransmitMult / antiEntropyMillis / treeFanout /
        // lazyFanout override the LAN profile (treeFanout=0: the rumor push it had before)
        lan = lan.toBuilder()
                .gossipFanout(Integer.getInteger("exchange.bench.gossipFanout", lan.gossipFanout()))
                .relayTransmitMult(Integer.getInteger("exchange.bench.relayTransmitMult", lan.relayTransmitMult()))
                .antiEntropyInterval(java.time.Duration.ofMillis(Long.getLong("exchange.bench.antiEntropyMillis",
                        lan.antiEntropyInterval().toMillis())))
                .treeFanout(Integer.getInteger("exchange.bench.treeFanout", lan.treeFanout()))
                .lazyFanout(Integer.getInteger("exchange.bench.lazyFanout", lan.lazyFanout()))
                .build();
        profiles.put("poolwarden-lan", lan);
        // the LAN profile with memberlist's probe order (what it had before ROTATING): shows what the order alone buys
        profiles.put("poolwarden-lan-shuffled-probes", ExchangeConfig.lan().withProbeOrder(ProbeOrder.SHUFFLED));
        profiles.put("memberlist-defaults-model", ExchangeConfig.memberlistDefaults());
        String only = System.getProperty("exchange.bench.profiles", "");
        if (!only.isBlank()) {
            profiles.keySet().retainAll(Arrays.stream(only.split(",")).map(String::trim).toList());
        }
        // dissemination,failureDetection,falsePositives,cost (default all): the bandwidth work needs only 1 and 4
        Set<String> sections = Set.of(System.getProperty("exchange.bench.sections",
                "dissemination,failureDetection,falsePositives,cost").split(","));
        String outName = System.getProperty("exchange.bench.out", "exchange");
        for (Map.Entry<String, ExchangeConfig> p : profiles.entrySet()) {
            Map<String, Object> byN = new LinkedHashMap<>();
            for (int n : sizes) {
                long t0 = System.nanoTime();
                Map<String, Object> r = new LinkedHashMap<>();
                if (sections.contains("dissemination")) {
                    r.put("dissemination", dissemination(p.getValue(), n, 0));
                    r.put("disseminationWith5PercentLoss", dissemination(p.getValue(), n, 0.05));
                }
                if (sections.contains("failureDetection")) {
                    r.put("failureDetection", failureDetection(p.getValue(), n));
                }
                if (sections.contains("falsePositives")) {
                    r.put("falsePositives", falsePositives(p.getValue(), n));
                }
                if (sections.contains("cost")) {
                    r.put("cost", cost(p.getValue(), n));
                }
                r.put("benchWallSeconds", (System.nanoTime() - t0) / 1e9);
                byN.put("n" + n, r);
                System.out.println(p.getKey() + " n=" + n + " " + r);
            }
            report.put(p.getKey(), byN);
        }
        // the simulated figures do not depend on it; CPU% does a little (2 shared cores)
        report.put("loadAverage1minAtStartAndEnd", List.of(load0,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        Path out = Path.of("target", "bench", outName + ".json");
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
        System.out.println("wrote " + out.toAbsolutePath());
    }

    // ------------------------------------------------------------------ helpers

    static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    static Map<String, Object> percentiles(List<Long> values) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (values.isEmpty()) {
            m.put("samples", 0);
            return m;
        }
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        m.put("samples", v.length);
        m.put("p50Ms", ms(v[(int) Math.floor(0.50 * (v.length - 1))]));
        m.put("p99Ms", ms(v[(int) Math.ceil(0.99 * (v.length - 1))]));
        m.put("maxMs", ms(v[v.length - 1]));
        return m;
    }

    static SimCluster started(ExchangeConfig cfg, int n, long seed) {
        SimCluster c = new SimCluster(seed, cfg, n);
        c.net.latency(200_000, 300_000);
        c.startSeeded();
        c.runMillis(3000);
        return c;
    }

    /** Listens to one key's versions and to membership events without keeping every observation. */
    static final class Watch implements SimCluster.Sink {
        String key = "";
        long version;
        long startNanos;
        int reached;
        int target99;
        int target100;
        long at99 = -1;
        long at100 = -1;
        final List<SimCluster.Observed> events = new ArrayList<>();
        boolean keepEvents = true;

        @Override
        public void event(SimCluster.Observed o) {
            if (keepEvents) {
                events.add(o);
            }
        }

        @Override
        public void entry(SimCluster.Seen s) {
            if (s.key().equals(key) && s.version() == version) {
                reached++;
                if (reached == target99) {
                    at99 = s.atNanos() - startNanos;
                }
                if (reached == target100) {
                    at100 = s.atNanos() - startNanos;
                }
            }
        }
    }

    // ------------------------------------------------------------------ (a) dissemination

    Map<String, Object> dissemination(ExchangeConfig cfg, int n, double loss) {
        int trials = n >= 1000 ? 40 : n >= 128 ? 150 : 300;
        Watch w = new Watch();
        w.keepEvents = false;
        SimCluster c = started(cfg, n, 1000 + n);
        c.net.loss(loss);
        c.sink(w);
        Random r = new Random(n);
        List<Long> t99 = new ArrayList<>();
        List<Long> t100 = new ArrayList<>();
        int incomplete = 0;
        for (int t = 0; t < trials; t++) {
            SimHost origin = c.host(1 + r.nextInt(n));
            w.key = "bench";
            w.reached = 0;
            w.at99 = -1;
            w.at100 = -1;
            w.target100 = n - 1;
            w.target99 = (int) Math.ceil(0.99 * (n - 1));
            w.startNanos = c.net.now();
            w.version = origin.node().publish("bench", new byte[32], c.net.now()).version();
            long deadline = c.net.now() + 30 * S;
            while (w.at100 < 0 && c.net.now() < deadline) {
                c.runMillis(10);
            }
            if (w.at99 >= 0) {
                t99.add(w.at99);
            }
            if (w.at100 >= 0) {
                t100.add(w.at100);
            } else {
                incomplete++;
            }
            c.runMillis(100 + r.nextInt(200));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trials", trials);
        m.put("packetLoss", loss);
        m.put("to99PercentOfHosts", percentiles(t99));
        m.put("to100PercentOfHosts", percentiles(t100));
        m.put("trialsNotComplete30s", incomplete);
        return m;
    }

    // ------------------------------------------------------------------ (b) failure detection

    Map<String, Object> failureDetection(ExchangeConfig cfg, int n) {
        // 200 kills at n <= 128 so that p99 is not just the maximum; each pool loses at most a quarter of its hosts
        // (then a fresh pool with another seed takes over), so the pool size stays near n
        int trials = Integer.getInteger("exchange.bench.killTrials", n >= 1000 ? 6 : 200);
        int perPool = Math.max(1, Math.min(n / 4, 25));
        List<Long> firstSuspect = new ArrayList<>();
        List<Long> firstFailed = new ArrayList<>();
        List<Long> allFailed = new ArrayList<>();
        int[] otherFailed = {0};
        int pools = 0;
        for (int done = 0; done < trials; pools++) {
            int k = Math.min(perPool, trials - done);
            killTrials(cfg, n, 2000 + n + 7919L * pools, k, firstSuspect, firstFailed, allFailed, otherFailed);
            done += k;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trials", trials);
        m.put("pools", pools);
        m.put("firstSuspected", percentiles(firstSuspect));
        m.put("firstDeclaredFailed", percentiles(firstFailed));
        m.put("allSurvivorsDeclaredFailed", percentiles(allFailed));
        m.put("liveHostsDeclaredFailedMeanwhile", otherFailed[0]);
        return m;
    }

    static void killTrials(ExchangeConfig cfg, int n, long seed, int trials, List<Long> firstSuspect,
                           List<Long> firstFailed, List<Long> allFailed, int[] otherFailed) {
        Watch w = new Watch();
        SimCluster c = started(cfg, n, seed);
        c.sink(w);
        Random r = new Random(7 * seed);
        Set<Long> killed = new HashSet<>();
        for (int t = 0; t < trials; t++) {
            long victim;
            do {
                victim = 1 + r.nextInt(n);
            } while (killed.contains(victim));
            killed.add(victim);
            w.events.clear();
            long t0 = c.net.now();
            c.host(victim).kill();
            int survivors = n - killed.size();
            long deadline = t0 + 120 * S;
            long fs = -1;
            long ff = -1;
            long af = -1;
            int failedSeen = 0;
            while (c.net.now() < deadline && af < 0) {
                c.runMillis(20);
                for (SimCluster.Observed o : w.events) {
                    long d = o.event().atNanos() - t0;
                    if (o.event().member() != victim) {
                        if (o.event().type() == MemberEvent.Type.FAILED && !killed.contains(o.event().member())) {
                            otherFailed[0]++;
                        }
                        continue;
                    }
                    if (o.event().type() == MemberEvent.Type.SUSPECT && fs < 0) {
                        fs = d;
                    }
                    if (o.event().type() == MemberEvent.Type.FAILED) {
                        failedSeen++;
                        if (ff < 0) {
                            ff = d;
                        }
                        if (failedSeen == survivors) {
                            af = d;
                        }
                    }
                }
                w.events.clear();
            }
            if (fs >= 0) {
                firstSuspect.add(fs);
            }
            if (ff >= 0) {
                firstFailed.add(ff);
            }
            if (af >= 0) {
                allFailed.add(af);
            }
            c.runMillis(2000);
        }
    }

    // ------------------------------------------------------------------ (b') false positives

    Map<String, Object> falsePositives(ExchangeConfig cfg, int n) {
        long seconds = Long.getLong("exchange.bench.falsePositiveSeconds", n >= 1000 ? 30 : n >= 128 ? 120 : 300);
        Watch w = new Watch();
        SimCluster c = started(cfg, n, 3000 + n);
        c.sink(w);
        c.net.loss(0.05);
        Random r = new Random(11 * n);
        int pausy = Math.max(1, (int) Math.round(0.05 * n));
        List<SimHost> pausers = new ArrayList<>();
        for (int i = 0; i < pausy; i++) {
            pausers.add(c.host(1 + (long) i * (n / pausy)));
        }
        long[] pauses = {0};
        for (SimHost h : pausers) {
            schedulePauses(c, h, r, pauses);
        }
        c.runMillis(seconds * 1000);
        long suspicions = 0;
        long deaths = 0;
        Set<Long> suspectedHosts = new HashSet<>();
        Set<String> episodes = new HashSet<>();
        Set<Long> deadHosts = new HashSet<>();
        for (SimCluster.Observed o : w.events) {
            if (o.event().type() == MemberEvent.Type.SUSPECT) {
                suspicions++;
                suspectedHosts.add(o.event().member());
                episodes.add(o.event().member() + "@" + o.event().incarnation());
            } else if (o.event().type() == MemberEvent.Type.FAILED) {
                deaths++;
                deadHosts.add(o.event().member());
            }
        }
        long pausersSuspected = pausers.stream().filter(h -> suspectedHosts.contains(h.node().id())).count();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("simulatedSeconds", seconds);
        m.put("packetLoss", 0.05);
        m.put("pausingHosts", pausy);
        m.put("pauses", pauses[0]);
        m.put("pauseModel", "each pausing host stalls for uniform(0, 1 s), then runs for an exponential gap (mean 5 s)");
        m.put("falseSuspicionEpisodes", episodes.size());
        m.put("falseSuspicionEventsAllObservers", suspicions);
        m.put("hostsFalselySuspected", suspectedHosts.size());
        m.put("pausingHostsSuspected", pausersSuspected);
        m.put("falseDeathEvents", deaths);
        m.put("hostsFalselyDeclaredDead", deadHosts.size());
        return m;
    }

    static void schedulePauses(SimCluster c, SimHost h, Random r, long[] count) {
        long gap = (long) (-Math.log(1 - r.nextDouble()) * 5 * S);
        c.net.schedule(c.net.now() + gap, () -> {
            long stall = (long) (r.nextDouble() * S);
            h.pause(stall);
            count[0]++;
            // the next gap starts when this stall ends: stalls never merge into one longer than 1 s
            c.net.schedule(c.net.now() + stall, () -> schedulePauses(c, h, r, count));
        });
    }

    // ------------------------------------------------------------------ (c) bytes and CPU

    Map<String, Object> cost(ExchangeConfig cfg, int n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idle", costRun(cfg, n, 0));
        m.put("eachHostUpdates0.1PerSecond", costRun(cfg, n, 0.1));
        if (n <= 128) {
            m.put("eachHostUpdates1PerSecond", costRun(cfg, n, 1.0));
        }
        return m;
    }

    Map<String, Object> costRun(ExchangeConfig cfg, int n, double updatesPerSecond) {
        long seconds = n >= 1000 ? 10 : 20;
        SimCluster c = started(cfg, n, 4000 + n);
        Watch w = new Watch();
        w.keepEvents = false;
        c.sink(w);
        Random r = new Random(13 * n);
        if (updatesPerSecond > 0) {
            for (SimHost h : c.hosts()) {
                scheduleUpdates(c, h, r, (long) (S / updatesPerSecond));
            }
        }
        c.runMillis(2000); // reach the steady state
        for (SimHost h : c.hosts()) {
            h.measureCpu(true);
        }
        long[] bytesOut0 = new long[n];
        long[] bytesIn0 = new long[n];
        long[] cpu0 = new long[n];
        // where the bytes go: summed over all hosts, before and after the measured interval
        Counter[] breakdown = {Counter.PACKETS_OUT, Counter.ENTRIES_SENT, Counter.ENTRIES_APPLIED, Counter.ENTRIES_STALE,
                Counter.ENTRIES_REPAIRED, Counter.ENTRIES_RETRANSMITTED, Counter.BROADCASTS_SENT, Counter.DIGESTS_SENT,
                Counter.ENTRIES_SKIPPED_HELD, Counter.ENTRIES_DUPLICATE_CREDITS, Counter.IHAVE_IDS_SENT,
                Counter.IHAVE_IDS_KNOWN, Counter.IWANT_IDS_SENT, Counter.ENTRIES_PULL_SERVED, Counter.PULLS_ABANDONED,
                Counter.IWANT_IDS_AT_ONCE, Counter.PULLED_RELAYED_AT_ONCE, Counter.DIGESTS_SENT_RECENT};
        long[] sum0 = new long[breakdown.length];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < breakdown.length; k++) {
                sum0[k] += c.host(i + 1).node().counters().get(breakdown[k]);
            }
            bytesOut0[i] = c.host(i + 1).node().counters().get(Counter.BYTES_OUT);
            bytesIn0[i] = c.host(i + 1).node().counters().get(Counter.BYTES_IN);
            cpu0[i] = c.host(i + 1).cpuNanos();
        }
        c.runMillis(seconds * 1000);
        double sumOut = 0;
        double maxOut = 0;
        double sumIn = 0;
        double sumCpu = 0;
        for (int i = 0; i < n; i++) {
            double out = (c.host(i + 1).node().counters().get(Counter.BYTES_OUT) - bytesOut0[i]) / (double) seconds;
            sumOut += out;
            maxOut = Math.max(maxOut, out);
            sumIn += (c.host(i + 1).node().counters().get(Counter.BYTES_IN) - bytesIn0[i]) / (double) seconds;
            sumCpu += (c.host(i + 1).cpuNanos() - cpu0[i]) / (double) (seconds * S);
        }
        Map<String, Object> perHost = new LinkedHashMap<>();
        for (int k = 0; k < breakdown.length; k++) {
            long sum = -sum0[k];
            for (int i = 0; i < n; i++) {
                sum += c.host(i + 1).node().counters().get(breakdown[k]);
            }
            perHost.put(breakdown[k].name(), Math.round(sum * 10.0 / n / seconds) / 10.0);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("updatesPerHostPerSecond", updatesPerSecond);
        m.put("countersPerHostPerSecond", perHost);
        m.put("valueBytes", 32);
        m.put("meanBytesOutPerHostPerSecond", Math.round(sumOut / n));
        m.put("maxBytesOutPerHostPerSecond", Math.round(maxOut));
        m.put("meanBytesInPerHostPerSecond", Math.round(sumIn / n));
        m.put("meanCpuPercentOfOneCorePerHost", Math.round(sumCpu / n * 100_000) / 1000.0);
        return m;
    }

    static void scheduleUpdates(SimCluster c, SimHost h, Random r, long periodNanos) {
        long first = (long) (r.nextDouble() * periodNanos);
        c.net.schedule(c.net.now() + first, new Runnable() {
            int v;

            @Override
            public void run() {
                if (h.isAlive()) {
                    byte[] value = new byte[32];
                    value[0] = (byte) v++;
                    h.node().publish("load", value, c.net.now());
                    c.net.schedule(c.net.now() + periodNanos, this);
                }
            }
        });
    }
}
