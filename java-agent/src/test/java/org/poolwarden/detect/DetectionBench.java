package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigLoader;

/**
 * Cost of one slow-tick detection scan with 500 apps and 5,000 processes (the overhead scenario), on a fake
 * /proc tree, plus the same scan on this host's real /proc. CPU time is the scanning thread's own. Results go to
 * target/bench/detect-scan.json. Run with: mvn -Pbench -pl java-agent -am verify
 */
@Tag("bench")
class DetectionBench {
    static final int APPS = 500, PROCESSES = 5_000, STEADY_SCANS = 30;
    static final long SLOW_TICK_NANOS = 2_000_000_000L;

    @TempDir
    Path tmp;

    @Test
    void scanCostWith500AppsAnd5000Processes() throws Exception {
        FakeProc proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        proc.add(1, 0, "init");
        for (int i = 0; i < PROCESSES; i++) {
            int pid = 100 + i;
            proc.add(pid, i % 10 == 0 ? 1 : pid - 1 - (i % 10 == 1 ? 0 : 0), "svc" + (i % APPS), 5000L + pid, pid,
                    1000 + i % 50, 1000, new String[] {"/usr/bin/svc" + (i % APPS), "--id=" + i}, Map.of("ROLE", "r" + i % 7));
        }
        StringBuilder y = new StringBuilder("apps:\n");
        for (int a = 0; a < APPS; a++) {
            // A mix of rule kinds, so cmdline, environ and status are all read during classification.
            String rule = switch (Integer.getInteger("bench.ruleKind", a % 4)) {
                case 0 -> "{name: svc" + a + "}";
                case 1 -> "{cmdline: \"/usr/bin/svc" + a + " *\"}";
                case 2 -> "{name: svc" + a + ", uid: " + (1000 + a % 50) + "}";
                default -> "{name: svc" + a + ", env: \"ROLE=r*\"}";
            };
            y.append("  - {name: app").append(a).append(", includeChildren: true, processRules: [").append(rule)
                    .append("]}\n");
        }
        ConfigLoader.Result r = ConfigLoader.parse("bench.yaml", y.toString());
        assertEquals(List.of(), r.errors());
        List<App> apps = r.config().apps();

        Result fake = measure(new ProcReader(proc.root), apps);
        assertEquals(PROCESSES + 1, fake.processes);
        assertTrue(fake.assigned >= PROCESSES, "every service process is assigned: " + fake.assigned);

        Result real = measure(ProcReader.system(), apps);

        Path out = Path.of("target", "bench");
        Files.createDirectories(out);
        String json = String.format(Locale.ROOT, """
                {
                  "benchmark": "detect-scan",
                  "host_cpus": %d,
                  "fake_proc": %s,
                  "real_proc": %s
                }
                """, Runtime.getRuntime().availableProcessors(), fake.json(), real.json());
        Files.writeString(out.resolve("detect-scan.json"), json);
        System.out.println(json);
    }

    record Result(int apps, int processes, int assigned, double firstScanMillis, double reloadScanMillis,
                  double reloadScanCpuMillis, double steadyScanCpuMillis,
                  double steadyScanWallMillis, double percentOfCoreAt2s, long filesReadPerSteadyScan) {
        String json() {
            return String.format(Locale.ROOT, "{\"apps\": %d, \"processes\": %d, \"assigned\": %d,"
                    + " \"first_scan_ms\": %.2f, \"reload_scan_ms\": %.2f, \"reload_scan_cpu_ms\": %.2f,"
                    + " \"steady_scan_cpu_ms\": %.3f, \"steady_scan_wall_ms\": %.3f,"
                    + " \"percent_of_core_at_2s_tick\": %.3f, \"files_read_per_steady_scan\": %d}", apps, processes,
                    assigned, firstScanMillis, reloadScanMillis, reloadScanCpuMillis, steadyScanCpuMillis,
                    steadyScanWallMillis, percentOfCoreAt2s,
                    filesReadPerSteadyScan);
        }
    }

    static Result measure(ProcReader reader, List<App> apps) {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        ProcessDetector d = new ProcessDetector(reader, IdNames.system(), "bench", apps);
        long t0 = System.nanoTime();
        ScanResult first = d.scan();
        double firstMs = (System.nanoTime() - t0) / 1e6;
        for (int i = 0; i < 5; i++) d.scan(); // warm-up of the steady state
        long files0 = reader.filesRead();
        long cpu0 = tm.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
        for (int i = 0; i < STEADY_SCANS; i++) d.scan();
        double cpuMs = (tm.getCurrentThreadCpuTime() - cpu0) / 1e6 / STEADY_SCANS;
        double wallMs = (System.nanoTime() - wall0) / 1e6 / STEADY_SCANS;
        long filesPerScan = (reader.filesRead() - files0) / STEADY_SCANS;
        // A rule reload on a warm agent: every process is classified again (the config-change path).
        d.setApps(apps);
        long r0 = System.nanoTime(), rc0 = tm.getCurrentThreadCpuTime();
        d.scan();
        double reloadMs = (System.nanoTime() - r0) / 1e6, reloadCpuMs = (tm.getCurrentThreadCpuTime() - rc0) / 1e6;
        int assigned = first.inventory().apps().values().stream().mapToInt(i -> i.pids().size()).sum();
        return new Result(apps.size(), first.inventory().total(), assigned, firstMs, reloadMs, reloadCpuMs, cpuMs,
                wallMs, cpuMs * 1e6 / SLOW_TICK_NANOS * 100, filesPerScan);
    }
}
