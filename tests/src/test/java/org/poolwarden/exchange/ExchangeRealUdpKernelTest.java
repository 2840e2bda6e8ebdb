package org.poolwarden.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.exchange.transport.ExchangeAgentMain;
import org.poolwarden.testing.KernelTest;

/**
 * The exchange over real UDP: 8 agent processes ({@link ExchangeAgentMain}, LAN profile) in 8 network namespaces on
 * one bridge. Join, an entry everywhere, SIGKILL detected within the LAN target (declared failed by every survivor
 * within 3 s, first suspected within 1 s), a 1.5 s SIGSTOP suspected and
 * refuted but never declared dead, a restart rejoining (settling ALIVE everywhere, declared dead by nobody), and a
 * ninth agent with another pool key rejected, counted and changing nothing.
 *
 * <p>Real timers on a shared 2-core machine: every wait polls with a deadline; the measured figures are printed
 * (surefire keeps them in the test's output file) so a regression shows its numbers.
 */
@KernelTest(needs = {"java", "ip", "nsenter", "kill"})
class ExchangeRealUdpKernelTest {
    static final int N = 8;
    static final int PORT = 7946;
    static final int POOL = 7;
    static final String MAIN = ExchangeAgentMain.class.getName();
    /** LAN target (issue 7, ExchangeConfig.lan()): every survivor has declared a killed host failed within 3 s. */
    static final long FAILED_TARGET_MS = 3000;
    /**
     * LAN target for the first suspicion (issue 7). With the ROTATING probe order every member is probed once per
     * 200 ms round, so a killed host is first suspected after about 0.2-0.45 s (the probe round plus the probe's own
     * 200 ms), which leaves room for the scheduling delays of 8 JVMs on 2 loaded cores.
     */
    static final long SUSPECT_BOUND_MS = 1000;

    @TempDir
    Path tmp;

    static List<String> agentArgs(int i, Path keyFile) {
        List<String> a = new ArrayList<>(List.of("--id", Integer.toString(i), "--bind", PoolRig.address(i) + ":" + PORT,
                "--pool", Integer.toString(POOL), "--key-file", keyFile.toString()));
        if (i != 1) {
            a.addAll(List.of("--seed", PoolRig.address(1) + ":" + PORT));
        }
        return a;
    }

    static Path keyFile(Path dir, String name, byte fill) throws Exception {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (fill + i);
        }
        return Files.writeString(dir.resolve(name), HexFormat.of().formatHex(k));
    }

    static Set<String> names(int... ids) {
        Set<String> s = new TreeSet<>();
        for (int i : ids) {
            s.add("h" + i);
        }
        return s;
    }

    static JsonNode statusOf(PoolRig.Peer p) {
        try {
            return p.status(Duration.ofSeconds(5));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Set<String> ids(JsonNode members) {
        Set<String> s = new TreeSet<>();
        members.fieldNames().forEachRemaining(s::add);
        return s;
    }

    static Set<String> othersThan(int self) {
        return names(IntStream.rangeClosed(1, N).filter(i -> i != self).toArray());
    }

    @Test
    void eightAgentsJoinShareDetectKillAndPauseRejoinAndRejectAWrongKey() throws Exception {
        Path key = keyFile(tmp, "pool.key", (byte) 1);
        Path wrongKey = keyFile(tmp, "other.key", (byte) 99);
        Map<String, Object> figures = new LinkedHashMap<>();
        try (PoolRig rig = PoolRig.create(N + 1)) {
            PoolRig.Peer[] agents = new PoolRig.Peer[N + 1];
            long t0 = System.currentTimeMillis();
            for (int i = 1; i <= N; i++) {
                agents[i] = rig.start(i, MAIN, agentArgs(i, key));
            }
            List<PoolRig.Peer> all = IntStream.rangeClosed(1, N).mapToObj(i -> agents[i]).toList();
            PoolRig.await("all agents ready: " + all, 40_000, () -> all.stream().allMatch(p -> p.ready() || !p.process.isAlive()));
            for (PoolRig.Peer p : all) {
                assertTrue(p.process.isAlive(), p + " exited: " + p.stderrTail());
            }
            figures.put("startMs", System.currentTimeMillis() - t0);

            // 1. everyone sees everyone
            long tReady = System.currentTimeMillis();
            PoolRig.await("every agent sees the 7 others joined", 15_000,
                    () -> IntStream.rangeClosed(1, N).allMatch(i -> agents[i].view().equals(othersThan(i))));
            figures.put("fullViewAfterReadyMs", System.currentTimeMillis() - tReady);

            // 2. an entry published on h3 reaches all others
            long tPub = System.currentTimeMillis();
            agents[3].send("publish demand/web 42");
            PoolRig.await("the entry from h3 reaches the 7 others", 5_000, () -> IntStream.rangeClosed(1, N).filter(i -> i != 3)
                    .allMatch(i -> agents[i].first(tPub, l -> "demand/web".equals(l.json().path("entry").asText())
                            && l.json().path("origin").asInt() == 3).isPresent()));
            long entryMax = IntStream.rangeClosed(1, N).filter(i -> i != 3).mapToLong(i -> agents[i]
                    .first(tPub, l -> "demand/web".equals(l.json().path("entry").asText())).orElseThrow().t() - tPub).max().orElseThrow();
            figures.put("entryEverywhereMs", entryMax);

            // 3. SIGKILL h8: every survivor suspects and declares it failed within the LAN targets
            long tKill = System.currentTimeMillis();
            agents[8].kill();
            List<PoolRig.Peer> survivors = all.subList(0, 7);
            PoolRig.await("all survivors declare h8 failed", 15_000,
                    () -> survivors.stream().allMatch(p -> p.firstEvent(tKill, "FAILED", "h8").isPresent()));
            long firstSuspect = survivors.stream().flatMap(p -> p.firstEvent(tKill, "SUSPECT", "h8").stream())
                    .mapToLong(l -> l.t() - tKill).min().orElse(Long.MAX_VALUE);
            // a survivor that heard of the death before any suspicion counts as having suspected it then
            long lastSuspect = survivors.stream().mapToLong(p -> p.first(tKill, l -> "h8".equals(l.member())
                    && ("SUSPECT".equals(l.event()) || "FAILED".equals(l.event()))).orElseThrow().t() - tKill).max().orElseThrow();
            long firstFailed = survivors.stream().mapToLong(p -> p.firstEvent(tKill, "FAILED", "h8").orElseThrow().t() - tKill)
                    .min().orElseThrow();
            long lastFailed = survivors.stream().mapToLong(p -> p.firstEvent(tKill, "FAILED", "h8").orElseThrow().t() - tKill)
                    .max().orElseThrow();
            figures.put("killFirstSuspectMs", firstSuspect);
            figures.put("killAllSuspectMs", lastSuspect);
            figures.put("killFirstFailedMs", firstFailed);
            figures.put("killAllFailedMs", lastFailed);
            System.out.println("exchange-rig: " + figures + " load1m=" + PoolRig.loadAverage1m());
            assertTrue(firstSuspect <= SUSPECT_BOUND_MS, "h8 first suspected after " + firstSuspect + " ms; " + figures);
            assertTrue(lastFailed <= FAILED_TARGET_MS, "h8 declared failed by all survivors after " + lastFailed + " ms; " + figures);

            // 4. SIGSTOP h5 for 1.5 s: suspected, refuted after SIGCONT, never declared dead
            long tStop = System.currentTimeMillis();
            agents[5].signal("STOP");
            Thread.sleep(1500);
            agents[5].signal("CONT");
            long tCont = System.currentTimeMillis();
            List<PoolRig.Peer> watchers = survivors.stream().filter(p -> p != agents[5]).toList();
            try {
                PoolRig.await("someone suspected the paused h5", 3_000,
                        () -> watchers.stream().anyMatch(p -> p.firstEvent(tStop, "SUSPECT", "h5").isPresent()));
            } catch (AssertionError e) {
                // once seen in CI (load 2.3), not reproduced in 3 runs after: name what each watcher saw of h5
                StringBuilder seen = new StringBuilder();
                for (PoolRig.Peer p : watchers) {
                    seen.append("\n  ").append(p).append(": ").append(p.events(tStop - 10_000, "h5").stream()
                            .map(l -> (l.t() - tStop) + "ms " + l.event()).toList());
                }
                throw new AssertionError(e.getMessage() + " (h5 = " + agents[5] + ", stopped at " + tStop
                        + ", events of h5 from 10 s before, relative to the stop):" + seen, e);
            }
            // every agent that suspected it hears the refutation (ALIVE at a higher incarnation)
            PoolRig.await("every suspicion of h5 refuted", 5_000, () -> watchers.stream()
                    .filter(p -> p.firstEvent(tStop, "SUSPECT", "h5").isPresent())
                    .allMatch(p -> p.firstEvent(tStop, "ALIVE", "h5").isPresent()));
            long refuted = watchers.stream().flatMap(p -> p.firstEvent(tStop, "ALIVE", "h5").stream())
                    .mapToLong(l -> l.t() - tCont).max().orElseThrow();
            long suspecters = watchers.stream().filter(p -> p.firstEvent(tStop, "SUSPECT", "h5").isPresent()).count();
            // past the longest suspicion timeout that could still be running (floor 1.5 s, stretched by Lifeguard)
            Thread.sleep(3000);
            figures.put("pauseSuspecters", suspecters);
            figures.put("pauseAllRefutedAfterContMs", refuted);
            for (PoolRig.Peer p : watchers) {
                assertFalse(p.firstEvent(tStop, "FAILED", "h5").isPresent(), p + " declared the paused h5 dead");
            }
            // Under load the just-resumed JVM can miss a probe deadline once more and be suspected anew, at its new
            // incarnation (3 of 16 runs at load 6-41); it refutes again. What must hold is that nobody declares it
            // dead and that it settles ALIVE everywhere.
            String[] h5Seen = new String[1];
            try {
                PoolRig.await("every agent's table shows h5 ALIVE", 10_000, () -> watchers.stream().allMatch(p -> {
                    String st = statusOf(p).path("members").path("5").asText();
                    h5Seen[0] = p + " sees h5 " + st + ", its h5 events: " + p.events(tStop, "h5").stream().map(l -> l.json().toString()).toList();
                    return "ALIVE".equals(st);
                }));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last seen " + h5Seen[0], e);
            }
            figures.put("pauseResuspicionsAfterRefutation", watchers.stream().mapToLong(p -> {
                long refutedAt = p.firstEvent(tStop, "ALIVE", "h5").map(PoolRig.Line::t).orElse(Long.MAX_VALUE);
                return p.events(refutedAt, "h5").stream().filter(l -> "SUSPECT".equals(l.event())).count();
            }).sum());
            for (PoolRig.Peer p : watchers) {
                assertFalse(p.firstEvent(tStop, "FAILED", "h5").isPresent(), p + " declared the paused h5 dead");
            }
            long falseByPaused = agents[5].lines.stream().filter(l -> l.t() >= tCont && "FAILED".equals(l.event())).count();
            assertEquals(0, falseByPaused, "the resumed h5 declared others dead: " + agents[5].lines);
            figures.put("suspicionsRaisedByResumedHost", agents[5].lines.stream().filter(l -> l.t() >= tCont && "SUSPECT".equals(l.event())).count());
            System.out.println("exchange-rig pause: " + figures);

            // 5. restart h8 (same id and address) and, at the same time, an intruder h9 with another pool key
            long badKeyBefore = agents[1].status(Duration.ofSeconds(5)).path("counters").path("DROP_BAD_KEY").asLong();
            Map<Integer, Set<String>> viewsBefore = new LinkedHashMap<>();
            long tRestart = System.currentTimeMillis();
            agents[8] = rig.start(8, MAIN, agentArgs(8, key));
            List<String> intruderArgs = new ArrayList<>(agentArgs(9, wrongKey));
            PoolRig.Peer intruder = rig.start(9, MAIN, intruderArgs);
            PoolRig.await("h8 rejoins: every other agent sees it again, and it sees them", 30_000, () -> agents[8].ready()
                    && agents[8].view().equals(othersThan(8))
                    && IntStream.rangeClosed(1, 7).allMatch(i -> agents[i].firstEvent(tRestart, "JOINED", "h8").isPresent()));
            figures.put("restartRejoinedMs", System.currentTimeMillis() - tRestart);
            // A JVM just started on a loaded machine can be slow to answer its first probes and be suspected for a
            // moment; what must hold is that it settles ALIVE everywhere and nobody declares it dead.
            String[] lastSeen = new String[1];
            try {
                PoolRig.await("every agent's own table shows all 8 ALIVE", 10_000, () -> {
                    for (int i = 1; i <= N; i++) {
                        JsonNode members = statusOf(agents[i]).path("members");
                        for (int j = 1; j <= N; j++) {
                            if (!"ALIVE".equals(members.path(Integer.toString(j)).asText())) {
                                lastSeen[0] = "h" + i + ": " + members;
                                return false;
                            }
                        }
                        viewsBefore.put(i, ids(members));
                    }
                    return true;
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last seen " + lastSeen[0], e);
            }
            figures.put("restartAllAliveMs", System.currentTimeMillis() - tRestart);
            figures.put("restartSuspicionsOfH8", IntStream.rangeClosed(1, 7)
                    .mapToLong(i -> agents[i].events(tRestart, "h8").stream().filter(l -> "SUSPECT".equals(l.event())).count()).sum());
            for (int i = 1; i <= 7; i++) {
                assertFalse(agents[i].firstEvent(tRestart, "FAILED", "h8").isPresent(), "h" + i + " declared the restarted h8 dead");
            }

            // 6. the intruder's joins and entry are rejected by authentication, counted, and change nothing
            PoolRig.await("intruder ready", 30_000, () -> intruder.ready() || !intruder.process.isAlive());
            long tIntruder = System.currentTimeMillis();
            intruder.send("publish intruder/x 1");
            PoolRig.await("h1 counts the intruder's packets as bad key", 5_000,
                    () -> statusOf(agents[1]).path("counters").path("DROP_BAD_KEY").asLong() > badKeyBefore);
            Thread.sleep(1500); // a join retry and a few gossip rounds more
            long badKey = agents[1].status(Duration.ofSeconds(5)).path("counters").path("DROP_BAD_KEY").asLong() - badKeyBefore;
            figures.put("intruderPacketsDroppedBadKeyAtSeed", badKey);
            for (int i = 1; i <= N; i++) {
                JsonNode st = agents[i].status(Duration.ofSeconds(5));
                // the ids each agent knows (a state flicker under machine load is not the intruder's doing)
                assertEquals(viewsBefore.get(i), ids(st.path("members")), "h" + i + " membership changed by the intruder");
                final int ii = i;
                assertTrue(agents[i].lines.stream().noneMatch(l -> "h9".equals(l.member()) || l.json().path("origin").asInt() == 9),
                        "h" + ii + " took something from the intruder");
            }
            JsonNode intruderView = intruder.status(Duration.ofSeconds(5)).path("members");
            assertEquals(1, intruderView.size(), "the intruder knows only itself: " + intruderView);
            assertTrue(intruder.lines.stream().noneMatch(l -> "JOINED".equals(l.event())), "the intruder joined nobody");
            assertTrue(tIntruder > 0);
            double load = PoolRig.loadAverage1m();
            figures.put("load1m", load);
            System.out.println("exchange-rig: " + figures);
        }
    }
}
