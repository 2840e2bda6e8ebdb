package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.detect.ProcEventCodec.Kind;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;
import org.poolwarden.detect.ScanResult.ProcessEvent;
import org.poolwarden.testing.KernelTest;

/**
 * The proc connector on the real kernel: real processes fork, exec and exit, the events arrive, and the detector
 * driven by them finds a process that exec'd into a matching command line within one scan, without walking /proc.
 */
@KernelTest(needs = {"bash", "sleep"})
class ProcConnectorKernelTest {
    @TempDir
    Path tmp;

    /** Drains until {@code until} holds for the events so far, or 10 s pass. */
    static List<ProcEvent> await(ProcConnector c, Predicate<List<ProcEvent>> until) throws InterruptedException {
        List<ProcEvent> seen = new ArrayList<>();
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            assertTrue(c.drain(seen::add), "no events lost");
            if (until.test(seen)) return seen;
            Thread.sleep(10);
        }
        return seen;
    }

    static boolean has(List<ProcEvent> events, Kind k, long tgid) {
        return events.stream().anyMatch(e -> e.kind() == k && e.tgid() == tgid && e.isProcess());
    }

    @Test
    void forkExecAndExitOfARealProcessArrive() throws Exception {
        try (ProcConnector c = ProcConnector.open()) {
            Process p = new ProcessBuilder("sleep", "30").start();
            long pid = p.pid();
            List<ProcEvent> ev = await(c, e -> has(e, Kind.FORK, pid) && has(e, Kind.EXEC, pid));
            assertTrue(has(ev, Kind.FORK, pid), "fork of " + pid + " in " + ev.size() + " events");
            assertTrue(has(ev, Kind.EXEC, pid), "exec of " + pid);
            ProcEvent fork = ev.stream().filter(e -> e.kind() == Kind.FORK && e.tgid() == pid).findFirst().get();
            assertEquals(ProcessHandle.current().pid(), fork.parentTgid(), "the JVM forked it");
            p.destroyForcibly().waitFor();
            ev = await(c, e -> has(e, Kind.EXIT, pid) || has(e, Kind.NONZERO_EXIT, pid));
            assertTrue(has(ev, Kind.EXIT, pid) || has(ev, Kind.NONZERO_EXIT, pid), "exit of " + pid);
            assertEquals(0, c.overruns());
            assertEquals(0, c.failures());
        }
    }

    @Test
    void anExecIntoAMatchingCommandLineIsFoundWithinOneScanAndAnExitLeaves() throws Exception {
        String token = Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 999_999));
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", "apps:\n"
                + "  - {name: late, processRules: [{cmdline: \"bash -c read y #7" + token + "\"}]}\n"
                + "  - {name: sleeper, processRules: [{cmdline: \"sleep 8" + token + "\"}]}\n");
        List<App> apps = r.config().apps();
        Files.writeString(tmp.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(tmp.resolve("group"), "root:x:0:\n");
        try (ProcReader reader = ProcReader.system(); ProcConnector c = ProcConnector.open()) {
            ProcessDetector d = new ProcessDetector(reader, new IdNames(tmp.resolve("passwd"), tmp.resolve("group")),
                    "h", apps);
            d.setEvents(c);
            d.setCpuWanted(app -> false);
            d.scan(); // the first scan walks /proc
            long walks = d.walks();

            // A bash that waits for a line and then exec's another bash: same name, a command line that matches.
            // The second one waits on a builtin (no fork: a forked child's command line would match too until it
            // exec'd, and be found as well).
            Process p = new ProcessBuilder("bash", "-c", "read x; exec bash -c 'read y #7" + token + "'").start();
            long pid = p.pid();
            awaitCmdline(pid, "bash -c read x; exec bash -c 'read y #7" + token + "'");
            d.scan();
            assertEquals(List.of(), d.inventory().pids("late"), "not yet: it has not exec'd");
            OutputStream in = p.getOutputStream(); // kept open: the second bash waits on it
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            awaitCmdline(pid, "bash -c read y #7" + token);
            ScanResult s = d.scan();
            assertEquals(List.of((int) pid), s.inventory().pids("late"), "found in the first scan after the exec");
            assertTrue(s.moved().contains(new ProcessEvent((int) pid, "late", null)), s.toString());

            // A fresh process matching at once: found by its fork and exec events.
            Process q = new ProcessBuilder("sleep", "8" + token).start();
            awaitCmdline(q.pid(), "sleep 8" + token);
            s = d.scan();
            assertEquals(List.of((int) q.pid()), s.inventory().pids("sleeper"));
            assertTrue(s.started().contains(new ProcessEvent((int) q.pid(), "sleeper", null)), s.toString());

            // Exits leave at the next scan.
            p.destroyForcibly().waitFor();
            q.destroyForcibly().waitFor();
            s = d.scan();
            assertEquals(List.of(), s.inventory().pids("late"));
            assertEquals(List.of(), s.inventory().pids("sleeper"));
            assertTrue(s.exited().contains(new ProcessEvent((int) pid, "late", null)), s.toString());
            assertTrue(s.exited().contains(new ProcessEvent((int) q.pid(), "sleeper", null)), s.toString());
            assertEquals(walks, d.walks(), "all of it from events: /proc was not walked again");
            assertTrue(d.eventScans() >= 4);
        }
    }

    static void awaitCmdline(long pid, String want) throws Exception {
        Path f = Path.of("/proc/" + pid + "/cmdline");
        long end = System.nanoTime() + 10_000_000_000L;
        String got = "";
        while (System.nanoTime() < end) {
            got = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).replace('\0', ' ').strip();
            if (got.equals(want)) return;
            Thread.sleep(5);
        }
        throw new AssertionError("pid " + pid + " cmdline is '" + got + "', not '" + want + "'");
    }
}
