package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.detect.ScanResult.ProcessEvent;

class ProcessDetectorTest {
    @TempDir
    Path tmp;
    FakeProc proc;
    IdNames ids;

    @BeforeEach
    void setUp() throws IOException {
        proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        Files.writeString(tmp.resolve("passwd"), "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n"
                + "# comment\nbroken-line\n");
        Files.writeString(tmp.resolve("group"), "root:x:0:\nweb:x:333:alice\n");
        ids = new IdNames(tmp.resolve("passwd"), tmp.resolve("group"));
        // Files in /proc that are not processes must be ignored.
        Files.createDirectories(proc.root.resolve("sys"));
        Files.writeString(proc.root.resolve("uptime"), "1.0 1.0\n");
    }

    static List<App> apps(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("test.yaml", yaml);
        assertEquals(List.of(), r.errors().stream().map(ConfigError::toString).toList());
        return r.config().apps();
    }

    ProcessDetector detector(String yaml) {
        return new ProcessDetector(new ProcReader(proc.root), ids, "h1", apps(yaml));
    }

    @Test
    void firstAppInConfigOrderWins() {
        proc.add(1, 0, "systemd").add(10, 1, "nginx").add(11, 1, "postgres").add(12, 1, "bash");
        ProcessDetector d = detector("""
                apps:
                  - {name: web, processRules: [{name: nginx}]}
                  - {name: all-daemons, processRules: [{parentPid: 1}]}
                  - {name: db, processRules: [{name: postgres}]}
                """);
        Inventory inv = d.scan().inventory();
        assertEquals(List.of(10), inv.pids("web"));
        assertEquals(List.of(11, 12), inv.pids("all-daemons"), "postgres matches db too, but all-daemons is first");
        assertEquals(List.of(), inv.pids("db"));
        assertEquals(1, inv.unassigned());
        assertEquals(4, inv.total());
        assertEquals("h1", inv.apps().get("web").host());
    }

    @Test
    void everyProcessAttributeMatches() {
        proc.add(1, 0, "init");
        proc.add(20, 1, "worker", 5000, 77, 33, 40, new String[] {"/usr/bin/python3", "/srv/batch/run.py", "--n=3"},
                Map.of("QUEUE", "nightly-7", "HOME", "/"));
        proc.add(21, 20, "child", 5001, 78, 1, 333, new String[] {"child"}, Map.of());
        String[][] cases = {
                {"name: work*", "20"}, {"pid: 21", "21"}, {"uid: 33", "20"}, {"user: www-data", "20"},
                {"gid: 40", "20"}, {"group: web", "21"}, {"sessionId: 78", "21"},
                {"cmdline: \"/usr/bin/python3 /srv/batch/*.py *\"", "20"},
                {"cmdlineRegex: \"batch/[a-z]+\\\\.py\"", "20"}, {"env: QUEUE", "20"}, {"env: QUEUE=nightly-*", "20"},
                {"parentName: \"work?r\"", "21"}, {"parentPid: 20", "21"},
                {"{name: worker, uid: 33, sessionId: 77}", "20"},
        };
        for (String[] c : cases) {
            String rule = c[0].startsWith("{") ? c[0] : "{" + c[0] + "}";
            ProcessDetector d = detector("apps: [{name: a, processRules: [" + rule + "]}]");
            assertEquals(List.of(Integer.parseInt(c[1])), d.scan().inventory().pids("a"), rule);
        }
        String[] noMatch = {"{name: worke}", "{uid: 34}", "{user: root, name: worker}", "{user: nobody-here}", "{group: nope}",
                "{env: QUEUE=daily*}", "{env: MISSING}", "{cmdline: python3*}", "{name: worker, sessionId: 78}",
                "{cmdlineRegex: \"^batch\"}", "{parentName: init, pid: 21}"};
        for (String rule : noMatch) {
            ProcessDetector d = detector("apps: [{name: a, processRules: [" + rule + "]}]");
            assertEquals(List.of(), d.scan().inventory().pids("a"), rule);
        }
    }

    @Test
    void childrenFollowOnlyWhenAskedAndAnEarlierAppStillWins() {
        proc.add(1, 0, "init").add(100, 1, "appd").add(101, 100, "sh").add(102, 101, "sleep").add(103, 100, "sshd")
                .add(104, 100, "logger").add(200, 1, "other").add(201, 200, "sh");
        ProcessDetector d = detector("""
                apps:
                  - {name: remote, processRules: [{name: sshd}]}
                  - {name: app, processRules: [{name: appd, includeChildren: true}, {name: other}]}
                  - {name: loggers, processRules: [{name: logger}]}
                """);
        Inventory inv = d.scan().inventory();
        assertEquals(List.of(100, 101, 102, 104, 200), inv.pids("app"),
                "children and grandchildren of appd; logger matches a later app, so inheritance wins");
        assertEquals(List.of(103), inv.pids("remote"), "sshd matches an earlier app than the inherited one");
        assertEquals(List.of(), inv.pids("loggers"));
        assertTrue(!inv.pids("app").contains(201), "the rule for 'other' does not include children");
    }

    @Test
    void appLevelIncludeChildrenIsTheDefaultForItsRules() {
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 10, "nginx-worker");
        assertEquals(List.of(10, 11), detector("apps: [{name: w, includeChildren: true, processRules: [{name: nginx}]}]")
                .scan().inventory().pids("w"));
        assertEquals(List.of(10), detector("apps: [{name: w, processRules: [{name: nginx}]}]")
                .scan().inventory().pids("w"));
    }

    @Test
    void scansAreIncrementalAndReportNewExitedReusedAndExecedProcesses() {
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "bash");
        ProcessDetector d = detector("apps: [{name: web, includeChildren: true, processRules: [{name: nginx}]}]");
        ScanResult first = d.scan();
        assertEquals(List.of(new ProcessEvent(10, "web", null)), first.started());
        assertEquals(3, d.classified());

        ScanResult quiet = d.scan();
        assertEquals(List.of(), quiet.started());
        assertEquals(List.of(), quiet.exited());
        assertEquals(List.of(), quiet.moved());
        assertEquals(3, d.classified(), "nothing changed, nothing re-evaluated");

        proc.add(12, 10, "nginx-worker");          // new child of nginx
        proc.remove(11);                            // bash exited (unassigned: no event)
        proc.add(11, 1, "nginx", 99999L, 1, 0, 0, new String[] {"nginx"}, Map.of()); // pid reused
        ScanResult s3 = d.scan();
        assertEquals(List.of(new ProcessEvent(11, "web", null), new ProcessEvent(12, "web", null)), s3.started());
        assertEquals(List.of(), s3.exited());
        assertEquals(5, d.classified());

        proc.add(10, 1, "perl", 1010L, 1, 0, 0, new String[] {"perl"}, Map.of()); // exec: same pid and start time
        proc.remove(11);
        ScanResult s4 = d.scan();
        assertEquals(List.of(new ProcessEvent(10, null, "web")), s4.moved());
        assertEquals(List.of(new ProcessEvent(11, "web", null)), s4.exited());
        assertEquals(List.of(12), s4.inventory().pids("web"), "a classified child keeps its app");
    }

    @Test
    void settledProcessesAreReadOnlyEveryFewScansYetALateExecIsSeenWithinThem() {
        proc.add(1, 0, "init");
        for (int pid = 100; pid < 200; pid++) proc.add(pid, 1, "idle");
        ProcessDetector d = detector("apps: [{name: web, processRules: [{name: nginx}]}]");
        ProcReader r = d.reader();
        for (int i = 0; i < ProcessDetector.YOUNG_SCANS + 1; i++) d.scan();
        long before = r.filesRead();
        d.scan();
        long perScan = r.filesRead() - before;
        assertTrue(perScan > 0 && perScan <= 101 / ProcessDetector.RECHECK_EVERY_SCANS + 1,
                "a settled scan reads about 1/" + ProcessDetector.RECHECK_EVERY_SCANS + " of the stat files: " + perScan);
        proc.add(150, 1, "nginx", 1150L, 1, 0, 0, new String[] {"nginx"}, Map.of()); // exec long after the fork
        int scansUntilSeen = 0;
        while (!d.inventory().pids("web").contains(150) && scansUntilSeen <= ProcessDetector.RECHECK_EVERY_SCANS) {
            d.scan();
            scansUntilSeen++;
        }
        assertEquals(List.of(150), d.inventory().pids("web"));
        assertTrue(scansUntilSeen <= ProcessDetector.RECHECK_EVERY_SCANS, "seen after " + scansUntilSeen + " scans");
        proc.add(200, 1, "nginx");
        assertEquals(List.of(new ProcessEvent(200, "web", null)), d.scan().started(), "new processes: at once");
    }

    /** Rewrites a fake process's stat with the given CPU time (utime + stime, clock ticks). */
    void cpu(int pid, int ppid, String comm, long ticks) throws IOException {
        Files.writeString(proc.root.resolve(pid + "/stat"), pid + " (" + comm + ") S " + ppid + " " + pid
                + " 1 0 -1 4194560 100 0 0 0 " + ticks + " 0 0 0 20 0 1 0 " + (1000L + pid) + " 1000000 200\n");
    }

    @Test
    void appProcessesAreReadEveryScanAndTheirCpuTimeComesWithTheSameRead() throws IOException {
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "bash");
        ProcessDetector d = detector("apps: [{name: web, processRules: [{name: nginx}]}]");
        cpu(10, 1, "nginx", 100);
        cpu(11, 1, "bash", 100);
        d.scan();
        assertEquals(0, d.cpuTicksSinceLastScan(10), "first sight: a baseline only");
        for (int i = 0; i < ProcessDetector.YOUNG_SCANS + 1; i++) d.scan(); // settled
        cpu(10, 1, "nginx", 250);
        cpu(11, 1, "bash", 900);
        long before = d.reader().filesRead();
        d.scan();
        assertEquals(150, d.cpuTicksSinceLastScan(10));
        assertEquals(0, d.cpuTicksSinceLastScan(11), "not in an app: not read every scan, no CPU time");
        assertTrue(d.reader().filesRead() - before >= 1, "the app's process was read");
        for (int i = 0; i < ProcessDetector.RECHECK_EVERY_SCANS; i++) {
            long r = d.reader().filesRead();
            d.scan();
            assertTrue(d.reader().filesRead() - r >= 1, "nginx is read on every scan");
        }
        assertEquals(0, d.cpuTicksSinceLastScan(10), "no CPU used since");
        assertEquals(0, d.cpuTicksSinceLastScan(99), "unknown pid");
    }

    @Test
    void processesOfAnAppMeasuredByItsCgroupAreReadOnlyEveryFewScans() {
        proc.add(1, 0, "init");
        for (int pid = 100; pid < 200; pid++) proc.add(pid, 1, "nginx");
        ProcessDetector d = detector("apps: [{name: web, processRules: [{name: nginx}]}]");
        d.setCpuWanted(app -> !app.equals("web"));
        for (int i = 0; i < ProcessDetector.YOUNG_SCANS + 1; i++) d.scan();
        long before = d.reader().filesRead();
        d.scan();
        long perScan = d.reader().filesRead() - before;
        assertTrue(perScan <= 101 / ProcessDetector.RECHECK_EVERY_SCANS + 1, "about a fifth: " + perScan);
        assertEquals(100, d.inventory().pids("web").size());
        d.setCpuWanted(app -> true);
        before = d.reader().filesRead();
        d.scan();
        assertTrue(d.reader().filesRead() - before >= 100, "all of web's processes again");
    }

    @Test
    void commandLineRulesAreIndexedByTheirLiteralStartAndStillKeepConfigOrder() {
        proc.add(1, 0, "init")
                .add(10, 1, "sleep", "sleep", "70001.5")
                .add(11, 1, "sleep", "sleep", "70002.5")
                .add(12, 1, "sleep", "sleep", "9")
                .add(13, 1, "python3", "/usr/bin/python3", "/srv/job.py")
                .add(14, 1, "sleep", "sleep", "70003.5");
        ProcessDetector d = detector("""
                apps:
                  - {name: any-job, processRules: [{cmdline: "*job.py"}]}
                  - {name: a1, processRules: [{cmdline: "sleep 70001.5"}]}
                  - {name: a-glob, processRules: [{cmdline: "sleep 7000[23]*"}]}
                  - {name: a2, processRules: [{cmdline: "sleep 70002.5"}]}
                  - {name: short, processRules: [{cmdline: "sleep ?"}]}
                  - {name: by-name, processRules: [{name: python3}]}
                """);
        Inventory inv = d.scan().inventory();
        assertEquals(List.of(10), inv.pids("a1"));
        assertEquals(List.of(11, 14), inv.pids("a-glob"), "the earlier app wins over a2's exact command line");
        assertEquals(List.of(), inv.pids("a2"));
        assertEquals(List.of(12), inv.pids("short"));
        assertEquals(List.of(13), inv.pids("any-job"), "a rule without a literal start is still tried on everyone");
        assertEquals(List.of(), inv.pids("by-name"));
    }

    @Test
    void manyAppsWithLiteralAndGlobNamesKeepConfigOrder() {
        proc.add(1, 0, "init").add(10, 1, "java").add(11, 1, "javac");
        ProcessDetector d = detector("""
                apps:
                  - {name: g1, processRules: [{name: "jav?"}]}
                  - {name: l1, processRules: [{name: java}, {name: javac}]}
                  - {name: g2, processRules: [{name: "java*"}]}
                """);
        Inventory inv = d.scan().inventory();
        assertEquals(List.of(10), inv.pids("g1"));
        assertEquals(List.of(11), inv.pids("l1"));
        assertEquals(List.of(), inv.pids("g2"));
    }

    @Test
    void reloadingRulesReclassifiesEverything() {
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "redis-server");
        ProcessDetector d = detector("apps: [{name: web, processRules: [{name: nginx}]}]");
        d.scan();
        d.setApps(apps("""
                apps:
                  - {name: cache, processRules: [{name: redis-*}]}
                  - {name: web2, processRules: [{name: nginx}]}
                """));
        ScanResult r = d.scan();
        assertEquals(List.of(new ProcessEvent(10, "web2", "web"), new ProcessEvent(11, "cache", null)), r.moved());
        assertEquals(List.of(11), r.inventory().pids("cache"));
    }

    @Test
    void aReloadThatKeepsTheProcessRulesKeepsEveryClassification() {
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "redis-server");
        ProcessDetector d = detector("apps: [{name: web, processRules: [{name: nginx}, {cmdlineRegex: \"^x+$\"}]}]");
        d.scan();
        long classified = d.classified();
        d.setApps(apps("""
                apps:
                  - name: web
                    processRules: [{name: nginx}, {cmdlineRegex: "^x+$"}]
                    flowRules: [{protocol: tcp, localPort: 443}]
                    policy: {cpu: {weight: 500}}
                """));
        ScanResult r = d.scan();
        assertEquals(classified, d.classified(), "a policy change reads no command line again");
        assertEquals(1, d.unchangedRuleReloads());
        assertEquals(List.of(10), r.inventory().pids("web"));

        d.setApps(apps("apps: [{name: web, processRules: [{name: nginx}, {cmdlineRegex: \"^y+$\"}]}]"));
        d.scan();
        assertEquals(classified + 3, d.classified(), "another regex: everything again");
        d.setApps(apps("apps: [{name: web, processRules: [{name: nginx, user: www-data}]}]"));
        d.scan();
        long afterUser = d.classified();
        d.setApps(apps("apps: [{name: web, processRules: [{name: nginx, user: www-data}]}]"));
        d.scan();
        assertEquals(afterUser + 3, d.classified(), "user names may map to other ids now: always again");
    }

    @Test
    void statNamesWithSpacesAndParenthesesParse() {
        proc.add(1, 0, "init").add(7, 1, "a) (b c)");
        ProcStat s = new ProcReader(proc.root).stat(7);
        assertEquals("a) (b c)", s.comm());
        assertEquals(1, s.ppid());
        assertEquals(1007L, s.startTime());
        assertEquals(List.of(7), detector("apps: [{name: x, processRules: [{name: \"a) (b*\"}]}]")
                .scan().inventory().pids("x"));
    }

    @Test
    void aProcessThatVanishesMidScanIsSkipped() throws IOException {
        proc.add(1, 0, "init").add(5, 1, "ghost");
        Files.delete(proc.root.resolve("5").resolve("stat"));
        ProcessDetector d = detector("apps: [{name: g, processRules: [{name: ghost}]}]");
        ScanResult r = d.scan();
        assertEquals(1, r.inventory().total());
        assertEquals(0, d.reader().readFailures(), "a vanished process is normal, not a failure");
    }

    @Test
    void globs() {
        assertTrue(Glob.compile("appd*").matcher("appd --x").matches());
        assertTrue(Glob.compile("a?c").matcher("abc").matches());
        assertTrue(Glob.compile("[ab]x").matcher("bx").matches());
        assertTrue(Glob.compile("[!ab]x").matcher("cx").matches());
        assertTrue(!Glob.compile("[!ab]x").matcher("ax").matches());
        assertTrue(Glob.compile("a.b+c").matcher("a.b+c").matches());
        assertTrue(!Glob.compile("a.b").matcher("axb").matches());
        assertTrue(Glob.compile("x\\*").matcher("x*").matches());
        assertTrue(!Glob.compile("x\\*").matcher("xy").matches());
        assertEquals("/usr/bin/java ", Glob.literalPrefix("/usr/bin/java *"));
        assertEquals("x*y", Glob.literalPrefix("x\\*y?z"));
        assertEquals("", Glob.literalPrefix("[ab]c"));
        assertEquals("abc", Glob.literalPrefix("abc"));
    }
}
