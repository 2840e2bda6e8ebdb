package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.detect.ProcEventCodec.Kind;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;
import org.poolwarden.detect.ScanResult.ProcessEvent;

/** The detector driven by process events: it reads only what the events name, and walks /proc when it must. */
class ProcessDetectorEventsTest {
    @TempDir
    Path tmp;
    FakeProc proc;
    FakeProcessEvents events;
    ProcReader reader;
    ProcessDetector d;

    static final String RULES = """
            apps:
              - {name: web, processRules: [{cmdline: "nginx -c /etc/web*"}]}
              - {name: ops, processRules: [{uid: 33}]}
              - {name: batch, processRules: [{sessionId: 77}]}
              - {name: kids, includeChildren: true, processRules: [{name: supervisor}]}
            """;

    @BeforeEach
    void setUp() throws IOException {
        proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        Files.writeString(tmp.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(tmp.resolve("group"), "root:x:0:\n");
        proc.add(1, 0, "init").add(10, 1, "nginx", "nginx", "-c", "/etc/web.conf").add(11, 1, "bash");
        events = new FakeProcessEvents();
        reader = new ProcReader(proc.root);
        d = new ProcessDetector(reader, new IdNames(tmp.resolve("passwd"), tmp.resolve("group")), "h",
                ProcessDetectorTest.apps(RULES));
        d.setEvents(events);
        assertEquals(List.of(10), d.scan().inventory().pids("web"), "the first scan walks /proc");
        assertEquals(1, d.walks());
    }

    static ProcEvent fork(int parent, int child) {
        return new ProcEvent(Kind.FORK, child, child, parent, parent, 0, null);
    }

    static ProcEvent ev(Kind k, int pid) {
        return new ProcEvent(k, pid, pid, 0, 0, 0, null);
    }

    @Test
    void aQuietScanReadsNothing() {
        long files = reader.filesRead();
        ScanResult r = d.scan();
        assertEquals(files + 1, reader.filesRead(), "no listing; only the stat of web's process, for its CPU time");
        assertEquals(1, d.eventScans());
        assertEquals(3, r.inventory().total());
        d.setCpuWanted(app -> false); // enforce mode: the app's CPU comes from its cgroup
        files = reader.filesRead();
        d.scan();
        assertEquals(files, reader.filesRead(), "nothing happened, nothing read");
    }

    @Test
    void aNewProcessIsFoundByItsForkAndOnlyItIsRead() {
        proc.add(20, 11, "nginx", "nginx", "-c", "/etc/web2.conf");
        events.emit(fork(11, 20));
        long files = reader.filesRead();
        ScanResult r = d.scan();
        assertEquals(List.of(new ProcessEvent(20, "web", null)), r.started());
        assertEquals(List.of(10, 20), r.inventory().pids("web"));
        assertEquals(files + 3, reader.filesRead(), "its stat and cmdline, and web's other process's stat");
    }

    @Test
    void withoutAnEventANewProcessWaitsForThePeriodicWalk() {
        proc.add(20, 11, "nginx", "nginx", "-c", "/etc/web2.conf");
        int scans = 0;
        while (d.inventory().pids("web").size() < 2) {
            d.scan();
            scans++;
        }
        assertEquals(ProcessDetector.EVENT_WALK_EVERY_SCANS, scans, "found by the walk that is due");
        assertEquals(2, d.walks());
    }

    @Test
    void anExitLeavesAtTheNextScan() {
        proc.remove(10);
        events.emit(new ProcEvent(Kind.EXIT, 10, 10, 1, 1, 0, null));
        ScanResult r = d.scan();
        assertEquals(List.of(new ProcessEvent(10, "web", null)), r.exited());
        assertEquals(List.of(), r.inventory().pids("web"));
    }

    @Test
    void anExecIntoTheSameNameIsClassifiedAgain() {
        // bash exec's bash: same comm, new command line; without the event only a name change is noticed
        proc.add(11, 1, "nginx", "nginx", "-c", "/etc/web9.conf");
        proc.add(10, 1, "nginx", "nginx", "-c", "/tmp/other.conf");
        events.emit(ev(Kind.EXEC, 10));
        events.emit(ev(Kind.EXEC, 11));
        ScanResult r = d.scan();
        assertEquals(List.of(11), r.inventory().pids("web"));
        assertEquals(List.of(new ProcessEvent(10, null, "web"), new ProcessEvent(11, "web", null)), r.moved());
    }

    @Test
    void uidAndSessionChangesMoveTheProcess() {
        proc.add(11, 1, "bash", 1011L, 1, 33, 0, new String[] {"bash"}, Map.of());
        events.emit(new ProcEvent(Kind.UID, 11, 11, 0, 0, 33, null));
        assertEquals(List.of(11), d.scan().inventory().pids("ops"));
        proc.add(11, 1, "bash", 1011L, 77, 0, 0, new String[] {"bash"}, Map.of());
        events.emit(ev(Kind.SID, 11));
        events.emit(new ProcEvent(Kind.UID, 11, 11, 0, 0, 0, null));
        Inventory inv = d.scan().inventory();
        assertEquals(List.of(), inv.pids("ops"));
        assertEquals(List.of(11), inv.pids("batch"));
    }

    @Test
    void childrenOfAnIncludingAppFollowTheirParent() {
        proc.add(30, 1, "supervisor").add(31, 30, "worker");
        events.emit(fork(1, 30));
        events.emit(fork(30, 31));
        assertEquals(List.of(30, 31), d.scan().inventory().pids("kids"));
        // the parent exits; the child is reparented to init and stays
        proc.remove(30).add(31, 1, "worker");
        events.emit(new ProcEvent(Kind.EXIT, 30, 30, 1, 1, 0, null));
        assertEquals(List.of(31), d.scan().inventory().pids("kids"));
    }

    @Test
    void lostEventsWalkAndReadEveryProcess() {
        proc.add(11, 1, "nginx", "nginx", "-c", "/etc/web3.conf"); // an exec we never heard of
        proc.add(40, 1, "nginx", "nginx", "-c", "/etc/web4.conf"); // a fork we never heard of
        proc.remove(10); // an exit we never heard of
        events.overrun();
        ScanResult r = d.scan();
        assertEquals(List.of(11, 40), r.inventory().pids("web"));
        assertEquals(List.of(new ProcessEvent(10, "web", null)), r.exited());
        assertEquals(1, d.lostWalks());
    }

    @Test
    void aPidReusedBetweenScansIsANewProcess() {
        proc.add(10, 1, "bash", 5555L, 1, 0, 0, new String[] {"bash"}, Map.of());
        events.emit(new ProcEvent(Kind.EXIT, 10, 10, 1, 1, 0, null));
        events.emit(fork(1, 10));
        ScanResult r = d.scan();
        assertEquals(List.of(new ProcessEvent(10, "web", null)), r.exited());
        assertEquals(List.of(), r.inventory().pids("web"));
        assertEquals(3, r.inventory().total());
    }

    @Test
    void newRulesWalkOnce() {
        d.setApps(ProcessDetectorTest.apps("apps: [{name: shells, processRules: [{name: bash}]}]"));
        assertEquals(List.of(11), d.scan().inventory().pids("shells"));
        assertEquals(2, d.walks());
        d.scan();
        assertEquals(2, d.walks());
    }
}
