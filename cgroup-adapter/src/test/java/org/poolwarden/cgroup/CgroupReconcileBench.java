package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * Reconcile at scale on the real v1 hierarchies: 500 app groups holding 5,000 real processes ({@code sleep}, one per
 * process, spawned by one shell), from scratch; then no-change reconciles; then 50 weight changes. Counts are the
 * controller's own (every open+read/write+close of a cgroup or /proc file is one read or write; mkdir/rmdir counted
 * apart). Writes JSON to target/bench/cgroup.json.
 */
@Tag("bench")
@KernelTest(needs = {"sh", "sleep"})
class CgroupReconcileBench {
    static final int GROUPS = 500;
    static final int PROCESSES = 5_000;
    static final int QUIET_RUNS = 5;

    @Test
    void reconcile500GroupsWith5000Processes() throws Exception {
        CgroupLayout layout = CgroupLayout.detect();
        KernelRequirement.require("HybridV1CpuController".equals(layout.cpuControllerName()) ? null
                : "needs the v1 cpu and cpuacct hierarchies");
        CgroupTestRoots.sweep(layout.v1("cpu"), layout.v1("cpuacct"));
        String rootName = CgroupTestRoots.newName();
        HybridV1CpuController c = new HybridV1CpuController(layout.v1("cpu"), layout.v1("cpuacct"), rootName,
                WeightMapping.LINEAR);
        long s0 = System.nanoTime();
        Process shell = new ProcessBuilder("sh", "-c",
                "i=0; while [ $i -lt " + PROCESSES + " ]; do sleep 3600 & i=$((i+1)); done; echo spawned; wait")
                .redirectErrorStream(true).start();
        List<Integer> pids = new ArrayList<>();
        try {
            String line = new BufferedReader(new InputStreamReader(shell.getInputStream())).readLine();
            assertEquals("spawned", line);
            String kids = Files.readString(Path.of("/proc/" + shell.pid() + "/task/" + shell.pid() + "/children"));
            Arrays.stream(kids.strip().split("\\s+")).map(Integer::parseInt).forEach(pids::add);
            assertEquals(PROCESSES, pids.size());
            double spawnSeconds = (System.nanoTime() - s0) / 1e9;

            List<CpuController.Desired> want = desired(pids, 0);
            Phase cold = Phase.run(() -> c.reconcile(want));
            assertEquals(GROUPS, cold.result.created());
            assertEquals(PROCESSES, cold.result.moved());
            Phase removeAll = Phase.run(() -> c.reconcile(List.of()));
            assertEquals(GROUPS, removeAll.result.removed());
            Phase warm = Phase.run(() -> c.reconcile(want));
            assertEquals(GROUPS, warm.result.created());
            assertEquals(PROCESSES, warm.result.moved());

            List<Phase> quiet = new ArrayList<>();
            for (int i = 0; i < QUIET_RUNS; i++) {
                Phase q = Phase.run(() -> c.reconcile(want));
                assertEquals(0, q.result.writes(), "a no-change reconcile writes nothing");
                quiet.add(q);
            }
            quiet.sort(java.util.Comparator.comparingDouble(q -> q.wall));
            Phase medianQuiet = quiet.get(QUIET_RUNS / 2);
            String straced = strace(() -> c.reconcile(want));

            List<CpuController.Desired> changed = desired(pids, 50);
            Phase change = Phase.run(() -> c.reconcile(changed));
            assertEquals(50, change.result.updated());
            assertEquals(0, change.result.drifted());

            // every group holds its ten processes in both hierarchies
            assertEquals(PROCESSES, c.list().values().stream().mapToInt(g -> g.pids().size()).sum());

            shell.destroyForcibly();
            for (int pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            long t = System.nanoTime();
            c.removeRoot();
            double cleanupSeconds = (System.nanoTime() - t) / 1e9;
            String load = Files.readString(Path.of("/proc/loadavg")).strip();

            String json = String.format(Locale.ROOT, """
                    {
                      "benchmark": "cgroup reconcile",
                      "controller": "%s",
                      "host": {"cpus": %d, "kernel": "%s", "layout": "%s", "loadavg_after": "%s", "note": "shared 2-core machine with other builds running; per phase, from /proc/thread-self/schedstat: cpu_seconds on a CPU, runqueue_wait_seconds runnable but waiting for a CPU (other builds), blocked_seconds the rest (sleeping in the kernel)"},
                      "setup": {"groups": %d, "processes": %d, "process_kind": "sleep 3600, one process each, forked by one sh", "spawn_seconds": %.3f},
                      "full_reconcile_cold_jvm": %s,
                      "remove_all_groups_with_processes": %s,
                      "full_reconcile_warm_jvm": %s,
                      "no_change_reconcile_median_of_%d": %s,
                      "no_change_reconcile_under_strace": %s,
                      "weight_changes_50": %s,
                      "cleanup_after_kill_seconds": %.4f,
                      "counting": "controller counters: a read is one file read (open+read+close) or one stat/listing; a write is one write(2) (cgroup.procs: several per open descriptor) or a mkdir/rmdir",
                      "targets": {"no_change_writes": 0, "full_reconcile_seconds_below": 1.0}
                    }
                    """, c.name(), Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"),
                    layout.mode(), load, GROUPS, PROCESSES, spawnSeconds, cold.json(), removeAll.json(), warm.json(),
                    QUIET_RUNS, medianQuiet.json(), straced, change.json(), cleanupSeconds);
            Path out = Path.of("target", "bench", "cgroup.json");
            Files.createDirectories(out.getParent());
            Files.writeString(out, json);
            System.out.println(json);
            // wall time on this shared machine is reported, not asserted (see the JSON); the write count is exact
        } finally {
            shell.destroyForcibly();
            for (int pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            CgroupTestRoots.removeTree(layout.v1("cpu").resolve(rootName), layout.v1("cpu"));
            CgroupTestRoots.removeTree(layout.v1("cpuacct").resolve(rootName), layout.v1("cpuacct"));
        }
    }

    /**
     * Independent of our counters: strace the whole JVM (-f) around one reconcile and count the syscalls of this
     * thread, and any opens for writing, mkdirs and rmdirs under /sys/fs/cgroup by any thread. JSON, or a note when
     * strace is not installed.
     */
    private static String strace(java.util.function.Supplier<ReconcileResult> body) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/strace"))) {
            return "{\"note\": \"strace not installed\"}";
        }
        String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        Path log = Path.of("target", "bench", "strace-no-change.txt").toAbsolutePath();
        Files.createDirectories(log.getParent());
        Process st = new ProcessBuilder("strace", "-f", "-qq", "-o", log.toString(), "-p",
                Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true).start();
        Thread.sleep(2000); // attaching to every JVM thread
        ReconcileResult r = body.get();
        Thread.sleep(200);
        st.destroy();
        st.waitFor();
        java.util.Map<String, Integer> mine = new java.util.TreeMap<>();
        int cgroupWriteOpens = 0;
        int cgroupDirChanges = 0;
        java.util.regex.Pattern call = java.util.regex.Pattern.compile("^(\\d+)\\s+([a-z_0-9]+)\\((.*)");
        for (String line : Files.readAllLines(log)) {
            java.util.regex.Matcher m = call.matcher(line);
            if (!m.find()) {
                continue;
            }
            String name = m.group(2);
            String rest = m.group(3);
            if (m.group(1).equals(tid)) {
                mine.merge(name, 1, Integer::sum);
            }
            if (rest.contains("\"/sys/fs/cgroup")) {
                if ((name.equals("openat") || name.equals("open")) && (rest.contains("O_WRONLY") || rest.contains("O_RDWR"))) {
                    cgroupWriteOpens++;
                }
                if (name.startsWith("mkdir") || name.equals("rmdir") || name.startsWith("unlink")) {
                    cgroupDirChanges++;
                }
            }
        }
        int total = mine.values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(0, cgroupWriteOpens, "no cgroup file opened for writing during a no-change reconcile");
        assertEquals(0, cgroupDirChanges, "no cgroup made or removed during a no-change reconcile");
        StringBuilder calls = new StringBuilder();
        mine.forEach((k, v) -> calls.append(calls.length() == 0 ? "" : ", ").append('"').append(k).append("\": ").append(v));
        return String.format(Locale.ROOT, "{\"counted_writes\": %d, \"counted_reads\": %d, \"syscalls_of_reconciling_thread\": %d,"
                + " \"by_name\": {%s}, \"cgroup_opens_for_writing_any_thread\": %d, \"cgroup_mkdir_rmdir_any_thread\": %d}",
                r.writes(), r.reads(), total, calls, cgroupWriteOpens, cgroupDirChanges);
    }

    /** One timed reconcile: wall time and this thread's CPU time (user + system). */
    private record Phase(ReconcileResult result, double wall, double cpu, double runQueueWait) {
        static Phase run(java.util.function.Supplier<ReconcileResult> body) {
            long[] s0 = schedstat();
            long t0 = System.nanoTime();
            ReconcileResult r = body.get();
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] s1 = schedstat();
            return new Phase(r, wall, (s1[0] - s0[0]) / 1e9, (s1[1] - s0[1]) / 1e9);
        }

        /** This thread's time on a CPU and time runnable but waiting for one (ns), from the scheduler. */
        static long[] schedstat() {
            try {
                String[] f = Files.readString(Path.of("/proc/thread-self/schedstat")).strip().split("\\s+");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        String json() {
            return String.format(Locale.ROOT, "{\"wall_seconds\": %.4f, \"cpu_seconds\": %.4f, \"runqueue_wait_seconds\": %.4f,"
                    + " \"blocked_seconds\": %.4f, \"writes\": %d, \"reads\": %d, \"created\": %d, \"updated\": %d,"
                    + " \"removed\": %d, \"moved\": %d}", wall, cpu, runQueueWait, Math.max(0, wall - cpu - runQueueWait),
                    result.writes(), result.reads(), result.created(), result.updated(), result.removed(), result.moved());
        }
    }

    /** 500 groups, 10 pids each; every fifth capped; the first {@code changed} groups get another weight. */
    private static List<CpuController.Desired> desired(List<Integer> pids, int changed) {
        List<CpuController.Desired> out = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            long weight = 1 + (g * 37L) % 1000;
            if (g < changed) {
                weight = weight + 1000;
            }
            AppGroup app = new AppGroup(String.format("app-%03d", g), weight, g % 5 == 0 ? CpuCap.ofCpus(0.5) : null);
            Set<Integer> mine = new TreeSet<>(pids.subList(g * 10, g * 10 + 10));
            out.add(new CpuController.Desired(app, mine));
        }
        return out;
    }
}
