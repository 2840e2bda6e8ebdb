package org.poolwarden.exchange.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.dissemination.EntryTree;
import org.poolwarden.exchange.sim.SimCluster;
import org.poolwarden.exchange.sim.SimHost;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the time goes in lossy dissemination trials: for the slowest trials, the tree path from the origin to the
 * last host with each hop's delay. A hop of one tick or less is the plain relay; longer hops are repairs (echo and
 * pull, announcements, anti-entropy). {@code -Pbench -Dtest=LossTailDiagnosis}, n from {@code exchange.diag.n};
 * writes target/bench/loss-tail-diagnosis.json.
 */
@Tag("bench")
class LossTailDiagnosis {

    @Test
    void slowestTrialsPaths() throws IOException {
        int n = Integer.getInteger("exchange.diag.n", 128);
        int trials = Integer.getInteger("exchange.diag.trials", 150);
        ExchangeConfig cfg = ExchangeConfig.lan();
        SimCluster c = ExchangeBenchmark.started(cfg, n, 1000 + n);
        c.net.loss(0.05);
        Map<Long, Long> arrived = new HashMap<>();
        long[] start = new long[1];
        long[] version = new long[1];
        c.sink(new SimCluster.Sink() {
            @Override
            public void event(SimCluster.Observed o) {
            }

            @Override
            public void entry(SimCluster.Seen s) {
                if (s.key().equals("diag") && s.version() == version[0]) {
                    arrived.putIfAbsent(s.observer(), s.atNanos() - start[0]);
                }
            }
        });
        long[] ring = new long[n];
        for (int i = 0; i < n; i++) {
            ring[i] = c.host(i + 1).node().id();
        }
        Arrays.sort(ring);
        Random r = new Random(n);
        List<long[]> worst = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        int[] hopHist = new int[8]; // long hops by delay in ticks (50 ms)
        for (int t = 0; t < trials; t++) {
            SimHost origin = c.host(1 + r.nextInt(n));
            arrived.clear();
            start[0] = c.net.now();
            version[0] = origin.node().publish("diag", new byte[32], c.net.now()).version();
            arrived.put(origin.node().id(), 0L);
            long deadline = c.net.now() + 30_000_000_000L;
            while (arrived.size() < n && c.net.now() < deadline) {
                c.runMillis(10);
            }
            long last = -1;
            long lastAt = -1;
            for (Map.Entry<Long, Long> e : arrived.entrySet()) {
                if (e.getValue() > lastAt) {
                    lastAt = e.getValue();
                    last = e.getKey();
                }
            }
            EntryTree tree = new EntryTree(ring, origin.node().id(), (int) version[0], cfg.treeFanout());
            for (long h : ring) {
                long p = tree.parentOf(h);
                if (p == -1 || !arrived.containsKey(h) || !arrived.containsKey(p)) {
                    continue;
                }
                long hop = arrived.get(h) - arrived.get(p);
                if (hop > 55_000_000L) {
                    hopHist[(int) Math.min(7, hop / 50_000_000L)]++;
                }
            }
            StringBuilder sb = new StringBuilder();
            for (long h = last; h != -1; h = tree.parentOf(h)) {
                sb.insert(0, String.format(" -> %d@%.0f", tree.depth(tree.position(h)), arrived.getOrDefault(h, -1L) / 1e6));
            }
            paths.add(String.format("%.0f ms:%s", lastAt / 1e6, sb));
            worst.add(new long[] {lastAt, t});
            c.runMillis(100 + r.nextInt(200));
        }
        worst.sort((a, b) -> Long.compare(b[0], a[0]));
        StringBuilder counts = new StringBuilder();
        for (Counter k : new Counter[] {Counter.IWANT_IDS_SENT, Counter.IWANT_IDS_AT_ONCE, Counter.PULLS_ABANDONED,
                Counter.ENTRIES_PULL_SERVED, Counter.PULLED_RELAYED_AT_ONCE, Counter.ENTRIES_REPAIRED}) {
            long sum = 0;
            for (SimHost h : c.hosts()) {
                sum += h.node().counters().get(k);
            }
            counts.append(' ').append(k).append('=').append(sum);
        }
        System.out.println("LOSSTAIL counters over all trials:" + counts);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("n", n);
        report.put("trials", trials);
        report.put("packetLoss", 0.05);
        report.put("longHopsByTicks", hopHist);
        report.put("counters", counts.toString().trim());
        List<String> slowest = new ArrayList<>();
        System.out.println("LOSSTAIL n=" + n + " long hops (child - parent arrival) by ticks: " + Arrays.toString(hopHist));
        for (int i = 0; i < Math.min(12, worst.size()); i++) {
            System.out.println("LOSSTAIL " + paths.get((int) worst.get(i)[1]));
            slowest.add(paths.get((int) worst.get(i)[1]));
        }
        report.put("slowestTrialsPathToLastHost", slowest);
        Path out = Path.of("target", "bench", "loss-tail-diagnosis.json");
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
        assertTrue(worst.size() == trials);
    }
}
