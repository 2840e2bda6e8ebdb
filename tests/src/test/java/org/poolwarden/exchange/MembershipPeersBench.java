package org.poolwarden.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.exchange.peers.JGroupsPeerMain;
import org.poolwarden.exchange.peers.ScalecubePeerMain;
import org.poolwarden.exchange.transport.ExchangeAgentMain;
import org.poolwarden.testing.KernelTest;

/**
 * Membership side by side on one rig, in one run: the exchange (LAN profile), JGroups 5.4 (udp.xml as shipped, and
 * with a faster FD_ALL3) and scalecube-cluster 2.7 (defaultLanConfig), each as 8 JVMs in the same 8 network
 * namespaces on one bridge, one system after the other. Per system:
 * <ul>
 *   <li>bytes per node per second on the wire (veth tx/rx counters) and CPU per node over a quiet 10 s;
 *   <li>SIGKILL of one member, 3 trials: time until the first survivor suspects it and until every survivor has
 *       removed it (then it is restarted and must be seen again by everyone before the next trial);
 *   <li>a silent failure, 1 trial: the member's bridge port goes down (no FIN or RST reaches anyone, unlike a
 *       SIGKILL, where the kernel closes the dead process's TCP connections and JGroups' FD_SOCK2 hears it at
 *       once): time until every survivor has removed it;
 *   <li>SIGSTOP of one member for 1.5 s, 2 trials, each watched for 20 s after SIGCONT: how many survivors
 *       suspected it (false suspicions) and how many removed it (false removals).
 * </ul>
 * Writes {@code target/bench/membership-peers.json}. Run:
 * {@code mvn -B -Pbench -pl tests -am verify -Dtest=MembershipPeersBench -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
@KernelTest(needs = {"java", "ip", "nsenter", "kill"})
class MembershipPeersBench {
    static final int N = 8;
    static final int KILL_TRIALS = 3;
    static final int PAUSE_TRIALS = 2;
    static final long PAUSE_MS = 1500;
    static final long PAUSE_WATCH_MS = 20_000;
    static final long QUIET_MS = 10_000;
    static final long DETECT_TIMEOUT_MS = 60_000;

    @TempDir
    Path tmp;

    /** How to start member i of one system. */
    record Subject(String name, String mainClass, String config, IntFunction<List<String>> args) {
    }

    List<Subject> systems(Path key) {
        List<Subject> s = new ArrayList<>();
        s.add(new Subject("exchange-lan", ExchangeAgentMain.class.getName(), "ExchangeConfig.lan()",
                i -> ExchangeRealUdpKernelTest.agentArgs(i, key)));
        s.add(new Subject("jgroups-defaults", JGroupsPeerMain.class.getName(), "udp.xml as shipped",
                i -> List.of("--name", "h" + i, "--bind", PoolRig.address(i), "--profile", "defaults")));
        s.add(new Subject("jgroups-tuned", JGroupsPeerMain.class.getName(), "udp.xml with " + JGroupsPeerMain.TUNED_FD_ALL3,
                i -> List.of("--name", "h" + i, "--bind", PoolRig.address(i), "--profile", "tuned")));
        s.add(new Subject("scalecube-defaults", ScalecubePeerMain.class.getName(), "ClusterConfig.defaultLanConfig()", i -> {
            List<String> a = new ArrayList<>(List.of("--name", "h" + i, "--bind", PoolRig.address(i), "--port", "4801"));
            if (i != 1) {
                a.addAll(List.of("--seed", PoolRig.address(1) + ":4801"));
            }
            return a;
        }));
        return s;
    }

    static Set<String> othersThan(int self) {
        Set<String> s = new TreeSet<>();
        IntStream.rangeClosed(1, N).filter(i -> i != self).forEach(i -> s.add("h" + i));
        return s;
    }

    @Test
    void exchangeJGroupsAndScalecubeOnTheSameEightNamespaces() throws Exception {
        Path key = ExchangeRealUdpKernelTest.keyFile(tmp, "pool.key", (byte) 1);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("setup", Map.of(
                "hosts", N,
                "network", "8 network namespaces, one veth each to a Linux bridge in a router namespace (no delay, no loss); "
                        + "multicast route per namespace, bridge multicast snooping off",
                "jvm", String.join(" ", PoolRig.JVM_FLAGS) + " (" + System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.version") + ")",
                "cores", Runtime.getRuntime().availableProcessors(),
                "kernel", uname(),
                "note", "all 8 JVMs of a system run at once on this machine, which other builds share; load averages are recorded per system"));
        Map<String, Object> results = new LinkedHashMap<>();
        report.put("systems", results);
        try (PoolRig rig = PoolRig.create(N)) {
            for (Subject sys : systems(key)) {
                Map<String, Object> r = new LinkedHashMap<>();
                results.put(sys.name(), r);
                r.put("config", sys.config());
                r.put("loadAvg1mBefore", PoolRig.loadAverage1m());
                PoolRig.Peer[] peers = new PoolRig.Peer[N + 1];
                try {
                    measure(rig, sys, peers, r);
                } catch (Throwable e) {
                    r.put("error", e.toString());
                    String tails = IntStream.rangeClosed(1, N).filter(i -> peers[i] != null)
                            .mapToObj(i -> "h" + i + ": " + peers[i].stderrTail()).reduce("", (a, b) -> a + "\n" + b);
                    r.put("stderrTails", tails.length() > 4000 ? tails.substring(0, 4000) : tails);
                } finally {
                    for (int i = 1; i <= N; i++) {
                        if (peers[i] != null && peers[i].process.isAlive()) {
                            peers[i].signal("CONT");
                            peers[i].kill();
                        }
                    }
                    r.put("loadAvg1mAfter", PoolRig.loadAverage1m());
                    r.put("summary", summary(r));
                }
                System.out.println("membership-peers " + sys.name() + ": " + r);
                write(report);
                Thread.sleep(2000); // sockets of the killed JVMs gone, CPU settled
            }
        }
        write(report);
        for (String name : List.of("exchange-lan", "jgroups-defaults", "jgroups-tuned")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) results.get(name);
            assertEquals(null, r.get("error"), name + " did not complete: " + r);
            assertNotNull(r.get("kill"), name);
            assertNotNull(r.get("silent"), name);
        }
    }

    static String uname() {
        return org.poolwarden.testkit.Lab.run(List.of("uname", "-r")).stdout().strip();
    }

    static void write(Map<String, Object> report) throws Exception {
        Path out = Path.of("target", "bench", "membership-peers.json");
        Files.createDirectories(out.getParent());
        PoolRig.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
    }

    static boolean fullView(PoolRig.Peer[] peers) {
        return IntStream.rangeClosed(1, N).allMatch(i -> peers[i] != null && peers[i].view().equals(othersThan(i)));
    }

    void measure(PoolRig rig, Subject sys, PoolRig.Peer[] peers, Map<String, Object> r) throws Exception {
        // h1 first (the seed, JGroups' coordinator), then the rest: no split start that a merge must repair
        long t0 = System.currentTimeMillis();
        peers[1] = rig.start(1, sys.mainClass(), sys.args().apply(1));
        PoolRig.await(sys.name() + " h1 ready", 60_000, () -> peers[1].ready() || !peers[1].process.isAlive());
        assertTrue(peers[1].process.isAlive(), "h1 exited: " + peers[1].stderrTail());
        for (int i = 2; i <= N; i++) {
            peers[i] = rig.start(i, sys.mainClass(), sys.args().apply(i));
        }
        PoolRig.await(sys.name() + " all ready", 90_000,
                () -> IntStream.rangeClosed(1, N).allMatch(i -> peers[i].ready() || !peers[i].process.isAlive()));
        for (int i = 1; i <= N; i++) {
            assertTrue(peers[i].process.isAlive(), "h" + i + " exited: " + peers[i].stderrTail());
        }
        long tReady = System.currentTimeMillis();
        r.put("peerConfig", peers[1].lines.stream().filter(l -> l.json().has("config")).findFirst()
                .map(l -> l.json().get("config").asText()).orElse(sys.config()));
        PoolRig.await(sys.name() + " full view everywhere", 90_000, () -> fullView(peers));
        r.put("startAllReadyMs", tReady - t0);
        r.put("fullViewAfterReadyMs", System.currentTimeMillis() - tReady);

        // quiet traffic and CPU
        Thread.sleep(3000);
        long[][] before = new long[N + 1][];
        long[] cpuBefore = new long[N + 1];
        for (int i = 1; i <= N; i++) {
            before[i] = rig.vethBytes(i);
            cpuBefore[i] = peers[i].cpuMillis();
        }
        long tq = System.nanoTime();
        Thread.sleep(QUIET_MS);
        double secs = (System.nanoTime() - tq) / 1e9;
        double txSum = 0;
        double txMax = 0;
        double rxSum = 0;
        double cpuSum = 0;
        for (int i = 1; i <= N; i++) {
            long[] after = rig.vethBytes(i);
            double tx = (after[0] - before[i][0]) / secs;
            txSum += tx;
            txMax = Math.max(txMax, tx);
            rxSum += (after[1] - before[i][1]) / secs;
            cpuSum += (peers[i].cpuMillis() - cpuBefore[i]) / secs / 10.0; // ms per s / 10 = % of one core
        }
        Map<String, Object> quiet = new LinkedHashMap<>();
        quiet.put("seconds", round(secs));
        quiet.put("txBytesPerNodePerSecMean", round(txSum / N));
        quiet.put("txBytesPerNodePerSecMax", round(txMax));
        quiet.put("rxBytesPerNodePerSecMean", round(rxSum / N));
        quiet.put("cpuPercentOfOneCorePerNodeMean", round(cpuSum / N));
        quiet.put("loadAvg1m", PoolRig.loadAverage1m());
        r.put("quiet", quiet);

        // SIGKILL trials
        List<Map<String, Object>> kills = new ArrayList<>();
        r.put("kill", kills);
        for (int trial = 0; trial < KILL_TRIALS; trial++) {
            int v = N - trial;
            String victim = "h" + v;
            List<PoolRig.Peer> survivors = survivors(peers, v);
            long tKill = System.currentTimeMillis();
            peers[v].kill();
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("victim", victim);
            kills.add(k);
            boolean gone = PoolRig.within(DETECT_TIMEOUT_MS,
                    () -> survivors.stream().allMatch(p -> p.firstEvent(tKill, "FAILED", victim).isPresent()));
            k.put("firstSuspectMs", survivors.stream().flatMap(p -> p.firstEvent(tKill, "SUSPECT", victim).stream())
                    .mapToLong(l -> l.t() - tKill).min().stream().boxed().findFirst().orElse(null));
            k.put("firstRemovedMs", survivors.stream().flatMap(p -> p.firstEvent(tKill, "FAILED", victim).stream())
                    .mapToLong(l -> l.t() - tKill).min().stream().boxed().findFirst().orElse(null));
            k.put("allSurvivorsRemovedMs", gone ? survivors.stream()
                    .mapToLong(p -> p.firstEvent(tKill, "FAILED", victim).orElseThrow().t() - tKill).max().orElseThrow() : null);
            if (!gone) {
                k.put("note", "not removed by every survivor within " + DETECT_TIMEOUT_MS + " ms");
            }
            // restart and wait until everyone has it back
            long tRestart = System.currentTimeMillis();
            peers[v] = rig.start(v, sys.mainClass(), sys.args().apply(v));
            PoolRig.await(sys.name() + " " + victim + " rejoined", 90_000, () -> peers[v].ready() && fullView(peers)
                    && survivors.stream().allMatch(p -> p.firstEvent(tRestart, "JOINED", victim).isPresent()));
            k.put("restartSeenByAllMs", System.currentTimeMillis() - tRestart);
            Thread.sleep(2000);
        }

        // silent failure: the victim's bridge port goes down
        {
            int v = N;
            String victim = "h" + v;
            List<PoolRig.Peer> survivors = survivors(peers, v);
            long tCut = System.currentTimeMillis();
            rig.unplug(v);
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("victim", victim);
            r.put("silent", k);
            try {
                boolean gone = PoolRig.within(DETECT_TIMEOUT_MS,
                        () -> survivors.stream().allMatch(p -> p.firstEvent(tCut, "FAILED", victim).isPresent()));
                k.put("firstSuspectMs", survivors.stream().flatMap(p -> p.firstEvent(tCut, "SUSPECT", victim).stream())
                        .mapToLong(l -> l.t() - tCut).min().stream().boxed().findFirst().orElse(null));
                k.put("firstRemovedMs", survivors.stream().flatMap(p -> p.firstEvent(tCut, "FAILED", victim).stream())
                        .mapToLong(l -> l.t() - tCut).min().stream().boxed().findFirst().orElse(null));
                k.put("allSurvivorsRemovedMs", gone ? survivors.stream()
                        .mapToLong(p -> p.firstEvent(tCut, "FAILED", victim).orElseThrow().t() - tCut).max().orElseThrow() : null);
                if (!gone) {
                    k.put("note", "not removed by every survivor within " + DETECT_TIMEOUT_MS + " ms");
                }
            } finally {
                peers[v].kill();
                rig.plug(v);
            }
            long tRestart = System.currentTimeMillis();
            peers[v] = rig.start(v, sys.mainClass(), sys.args().apply(v));
            PoolRig.await(sys.name() + " " + victim + " rejoined after the silent failure", 90_000, () -> peers[v].ready()
                    && fullView(peers) && survivors.stream().allMatch(p -> p.firstEvent(tRestart, "JOINED", victim).isPresent()));
            Thread.sleep(2000);
        }

        // SIGSTOP trials
        List<Map<String, Object>> pauses = new ArrayList<>();
        r.put("pause", pauses);
        for (int trial = 0; trial < PAUSE_TRIALS; trial++) {
            int v = 5 - trial;
            String victim = "h" + v;
            List<PoolRig.Peer> survivors = survivors(peers, v);
            long tStop = System.currentTimeMillis();
            peers[v].signal("STOP");
            Thread.sleep(PAUSE_MS);
            peers[v].signal("CONT");
            Thread.sleep(PAUSE_WATCH_MS);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("victim", victim);
            p.put("pauseMs", PAUSE_MS);
            p.put("watchedMsAfterCont", PAUSE_WATCH_MS);
            p.put("survivorsThatSuspected", survivors.stream().filter(s -> s.firstEvent(tStop, "SUSPECT", victim).isPresent()).count());
            p.put("suspectEvents", survivors.stream().mapToLong(s -> s.events(tStop, victim).stream()
                    .filter(l -> "SUSPECT".equals(l.event())).count()).sum());
            p.put("verifiedSuspicions", survivors.stream().filter(s -> s.firstEvent(tStop, "VERIFIED", victim).isPresent()).count());
            p.put("survivorsThatRemoved", survivors.stream().filter(s -> s.firstEvent(tStop, "FAILED", victim).isPresent()).count());
            p.put("otherMembersSuspected", IntStream.rangeClosed(1, N).filter(i -> i != v).mapToLong(i -> peers[i].lines.stream()
                    .filter(l -> l.t() >= tStop && "SUSPECT".equals(l.event()) && !victim.equals(l.member())).count()).sum());
            p.put("removedByPausedHost", peers[v].lines.stream().filter(l -> l.t() >= tStop && "FAILED".equals(l.event())).count());
            pauses.add(p);
            if (!fullView(peers)) {
                // a false removal: give the system its own way back (merge / rejoin) before the next trial
                long tWait = System.currentTimeMillis();
                boolean healed = PoolRig.within(90_000, () -> fullView(peers));
                p.put("healedAfterMs", healed ? System.currentTimeMillis() - tWait : null);
                if (!healed) {
                    break;
                }
            }
        }
    }

    /** Means and totals over the trials, for reading the report at a glance. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> summary(Map<String, Object> r) {
        Map<String, Object> s = new LinkedHashMap<>();
        List<Map<String, Object>> kills = (List<Map<String, Object>>) r.getOrDefault("kill", List.of());
        List<Long> removed = kills.stream().map(k -> (Long) k.get("allSurvivorsRemovedMs")).filter(x -> x != null).toList();
        List<Long> suspected = kills.stream().map(k -> (Long) k.get("firstSuspectMs")).filter(x -> x != null).toList();
        s.put("killTrials", kills.size());
        s.put("killAllSurvivorsRemovedMsMean", removed.isEmpty() ? null : round(removed.stream().mapToLong(x -> x).average().orElseThrow()));
        s.put("killAllSurvivorsRemovedMsMax", removed.stream().mapToLong(x -> x).max().stream().boxed().findFirst().orElse(null));
        s.put("killFirstSuspectMsMean", suspected.isEmpty() ? null : round(suspected.stream().mapToLong(x -> x).average().orElseThrow()));
        s.put("killsNotDetected", kills.size() - removed.size());
        Map<String, Object> silent = (Map<String, Object>) r.get("silent");
        s.put("silentAllSurvivorsRemovedMs", silent == null ? null : silent.get("allSurvivorsRemovedMs"));
        List<Map<String, Object>> pauses = (List<Map<String, Object>>) r.getOrDefault("pause", List.of());
        s.put("pauseTrials", pauses.size());
        s.put("pauseSurvivorsThatSuspected", pauses.stream().mapToLong(p -> (Long) p.get("survivorsThatSuspected")).sum());
        s.put("pauseFalseRemovals", pauses.stream().mapToLong(p -> (Long) p.get("survivorsThatRemoved")).sum());
        Map<String, Object> quiet = (Map<String, Object>) r.get("quiet");
        s.put("quietTxBytesPerNodePerSec", quiet == null ? null : quiet.get("txBytesPerNodePerSecMean"));
        s.put("quietRxBytesPerNodePerSec", quiet == null ? null : quiet.get("rxBytesPerNodePerSecMean"));
        return s;
    }

    static List<PoolRig.Peer> survivors(PoolRig.Peer[] peers, int victim) {
        return IntStream.rangeClosed(1, N).filter(i -> i != victim).mapToObj(i -> peers[i]).toList();
    }

    static double round(double d) {
        return Math.round(d * 10) / 10.0;
    }
}
