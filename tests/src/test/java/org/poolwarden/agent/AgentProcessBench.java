package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/**
 * The real agent process (-Xmx64m) in enforce mode with many apps and processes on this host: its CPU per second
 * (utime + stime from /proc over a steady-state window), its RSS, and the time from a config change (SIGHUP) until
 * the kernel has it (the app's cgroup weight file changed). Results: target/bench/agent-process.json.
 *
 * <p>Sizes: -Dpw.bench.apps (500), -Dpw.bench.processes (5000), -Dpw.bench.seconds (30), -Dpw.bench.reloads (12);
 * the agent's JVM options: -Dpw.bench.jvm="-Xmx64m ..." (default: bin/agent-jvm-options, what the launcher uses),
 * with -Dpw.bench.name naming the result file (agent-process). The result also has the CPU per thread name
 * ({@code cpuPercentByThread}); -Dpw.bench.jfr=FILE records the agent with JFR and dumps it after the CPU window.
 */
@Tag("bench")
@KernelTest(needs = {"java", "ip", "nsenter", "kill", "sleep", "bash"}, libraries = "libnftables.so.1")
class AgentProcessBench {
    static final int APPS = Integer.getInteger("pw.bench.apps", 500);
    static final int PROCESSES = Integer.getInteger("pw.bench.processes", 5_000);
    static final int SECONDS = Integer.getInteger("pw.bench.seconds", 30);
    /** Config changes timed (p50 and p95 are reported): -Dpw.bench.reloads. */
    static final int RELOADS = Integer.getInteger("pw.bench.reloads", 12);
    /** The agent's JVM options: by default those the launcher gives the agent (bin/agent-jvm-options). */
    static final List<String> JVM = List.of(System.getProperty("pw.bench.jvm", launcherOptions()).trim()
            .split("\\s+"));
    /** -Dpw.bench.profile=true: a jcmd thread dump each second; the control thread's top frames are counted. */
    static final boolean PROFILE = Boolean.getBoolean("pw.bench.profile");
    static final String NAME = System.getProperty("pw.bench.name", "agent-process");
    /** -Dpw.bench.jfr=FILE: record the agent with JFR (profile settings) and dump it after the CPU window. */
    static final String JFR = System.getProperty("pw.bench.jfr", "");

    @TempDir
    Path tmp;

    static String config(String iface, String token, int weight) {
        StringBuilder y = new StringBuilder("mode: enforce\npipes:\n  - {name: uplink, interface: " + iface
                + ", capacity: 1gbit}\napps:\n");
        for (int i = 0; i < APPS; i++) {
            y.append("  - name: app").append(i).append("\n    processRules: [{cmdline: \"sleep ")
                    .append(String.format("7%04d.%s", i, token)).append("\"}]\n");
            // A policy on every tenth app: a CPU group and an HTB class each.
            if (i % 10 == 0) {
                y.append("    policy: {priority: 5, cpu: {weight: ").append(i == 0 ? weight : 100)
                        .append("}, bandwidth: [{pipe: uplink, booking: 1mbit}]}\n");
            }
        }
        return y.toString();
    }

    static long[] stat(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])}; // utime, stime (fields 14, 15)
    }

    static long rssKb(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        }
        return -1;
    }

    @Test
    void overheadAndReloadLatencyOfTheRealAgent() throws Exception {
        Path jar = AgentProcess.jar();
        KernelRequirement.require(Files.exists(jar) ? null : "the agent jar is not built: " + jar);
        String token = Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 999_999));
        Path pids = tmp.resolve("workers.pids");
        // The workers: PROCESSES sleeps spread over the apps, their pids recorded so that exactly they are killed.
        String script = "for ((j=0; j<" + PROCESSES + "; j++)); do i=$((j % " + APPS + ")); sleep $(printf '7%04d."
                + token + "' $i) & echo $! >> " + pids + "; done";
        Process spawner = new ProcessBuilder("bash", "-c", script).start();
        try (Lab lab = Lab.create()) {
            assertEquals(0, spawner.waitFor());
            Lab.Host a = lab.host("a");
            Lab.Host b = lab.host("b");
            Lab.Link link = lab.link(a, "10.77.0.1/24", b, "10.77.0.2/24");
            try (AgentProcess agent = new AgentProcess(jar, tmp, lab.prefix(), a.netns(), link.ifA(),
                    JFR.isEmpty() ? JVM : jvmWithJfr())) {
                int weight = 200;
                agent.writeConfig(config(link.ifA(), token, weight));
                agent.start();
                agent.awaitReady(120_000);
                long pid = agent.process.pid();
                Path weightFile = weightFile(agent);
                AgentProcess.await("app0's group", 60_000, () -> weightFile != null && Files.exists(weightFile));
                int running = agent.json("status", "--json").path("runningApps").asInt();
                assertEquals(APPS, running, "every app has processes");
                Thread.sleep(5_000); // steady state: JIT warm, first samples taken

                long[] s0 = stat(pid);
                java.util.Map<Long, Object[]> threads0 = threadTicks(pid);
                long t0 = System.nanoTime();
                long maxRss = 0;
                java.util.Map<String, Integer> frames = new java.util.TreeMap<>();
                for (int i = 0; i < SECONDS; i++) {
                    Thread.sleep(1_000);
                    maxRss = Math.max(maxRss, rssKb(pid));
                    if (PROFILE) sampleControlThread(pid, frames);
                }
                long[] s1 = stat(pid);
                java.util.Map<Long, Object[]> threads1 = threadTicks(pid);
                double wall = (System.nanoTime() - t0) / 1e9;
                if (!JFR.isEmpty()) Lab.run(List.of("jcmd", Long.toString(pid), "JFR.dump", "filename=" + JFR));
                double cpuSeconds = ((s1[0] - s0[0]) + (s1[1] - s0[1])) / 100.0; // USER_HZ
                double cpuPercentOfCore = cpuSeconds / wall * 100;

                // Config change → kernel: app0's weight changes in the file, SIGHUP, poll its cgroup weight file.
                List<Double> latencies = new ArrayList<>();
                for (int r = 0; r < RELOADS; r++) {
                    String before = Files.readString(weightFile).strip();
                    weight += 50;
                    agent.writeConfig(config(link.ifA(), token, weight));
                    long sent = System.nanoTime();
                    agent.signal("HUP");
                    long end = sent + 30_000_000_000L;
                    while (Files.readString(weightFile).strip().equals(before)) {
                        assertTrue(System.nanoTime() < end, "the new weight never reached the kernel");
                        Thread.sleep(2);
                    }
                    latencies.add((System.nanoTime() - sent) / 1e6);
                }
                double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();

                ObjectNode j = AgentProcess.JSON.createObjectNode();
                j.put("apps", APPS);
                j.put("processes", PROCESSES);
                j.put("appsWithPolicy", (APPS + 9) / 10);
                j.put("mode", "enforce");
                j.put("jvm", String.join(" ", JVM));
                j.put("windowSeconds", wall);
                j.put("cpuSeconds", cpuSeconds);
                j.put("cpuPercentOfOneCore", cpuPercentOfCore);
                j.put("rssMaxMiB", maxRss / 1024.0);
                ObjectNode byThread = j.putObject("cpuPercentByThread");
                threadPercents(threads0, threads1, wall).forEach(byThread::put);
                ArrayNode lat = j.putArray("configChangeToKernelMillis");
                for (double d : latencies) lat.add(d);
                j.put("configChangeToKernelMedianMillis", percentile(sorted, 50));
                j.put("configChangeToKernelP95Millis", percentile(sorted, 95));
                j.put("configChangeToKernelMaxMillis", sorted[sorted.length - 1]);
                // Where a reload's time goes, as the agent logs it: reading and checking the config (load_ms).
                ArrayNode loads = j.putArray("configLoadMillis");
                java.util.regex.Matcher lm = java.util.regex.Pattern.compile("config reloaded.* load_ms=(\\d+)")
                        .matcher(agent.logText());
                while (lm.find()) loads.add(Long.parseLong(lm.group(1)));
                ArrayNode took = j.putArray("reloadTookMillis");
                lm = java.util.regex.Pattern.compile("config reloaded.* took_ms=(\\d+)").matcher(agent.logText());
                while (lm.find()) took.add(Long.parseLong(lm.group(1)));
                com.fasterxml.jackson.databind.JsonNode counters = agent.json("status", "--json").path("counters");
                ObjectNode kept = j.putObject("counters");
                for (String c : List.of("reloads_accepted", "reloads_policy_fast", "enforcer_policy_fast_writes",
                        "slow_ticks", "slow_overruns", "fast_overruns", "slow_tick_errors")) {
                    kept.set(c, counters.path(c));
                }
                j.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
                j.put("cpus", Runtime.getRuntime().availableProcessors());
                j.put("note", "SIGHUP → cgroup weight file: the config is loaded on the signal thread; a policy-only "
                        + "change is written by the next tick (the changed knobs only), any other change by a full "
                        + "slow tick (detection, plan, reconcile)");
                Path out = Path.of("target/bench/" + NAME + ".json");
                Files.createDirectories(out.getParent());
                Files.writeString(out, AgentProcess.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j));
                System.out.println(j);
                if (PROFILE) {
                    StringBuilder p = new StringBuilder();
                    frames.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue())
                            .forEach(e -> p.append(e.getValue()).append(' ').append(e.getKey()).append('\n'));
                    Files.writeString(out.resolveSibling(NAME + "-control-thread.txt"), p.toString());
                }
                // After the timed parts: attaching jcmd starts threads of its own in the agent.
                Files.writeString(out.resolveSibling(NAME + "-memory.txt"), memoryReport(pid));
                assertTrue(agent.process.isAlive(), agent.logText());
                assertTrue(maxRss > 0 && cpuSeconds >= 0, Arrays.toString(s1));
            }
        } finally {
            spawner.destroyForcibly();
            if (Files.exists(pids)) {
                List<String> kill = new ArrayList<>(List.of("kill", "-9"));
                kill.addAll(Files.readAllLines(pids).stream().filter(l -> !l.isBlank()).toList());
                if (kill.size() > 2) Lab.run(kill);
            }
        }
    }

    static List<String> jvmWithJfr() {
        List<String> j = new ArrayList<>(JVM);
        j.add("-XX:StartFlightRecording=settings=profile");
        return j;
    }

    /** tid → {name, utime + stime in clock ticks} of every thread of the process. */
    static java.util.Map<Long, Object[]> threadTicks(long pid) throws java.io.IOException {
        java.util.Map<Long, Object[]> out = new java.util.HashMap<>();
        try (var dirs = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path d : dirs.toList()) {
                try {
                    String s = Files.readString(d.resolve("stat"));
                    String name = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                    out.put(Long.parseLong(d.getFileName().toString()),
                            new Object[] {name, Long.parseLong(f[11]) + Long.parseLong(f[12])});
                } catch (java.io.IOException e) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return out;
    }

    /** CPU % of a core per thread name over the window (threads of one name added up), largest first. */
    static java.util.Map<String, Double> threadPercents(java.util.Map<Long, Object[]> before,
                                                       java.util.Map<Long, Object[]> after, double wall) {
        java.util.Map<String, Long> ticks = new java.util.HashMap<>();
        after.forEach((tid, v) -> {
            Object[] b = before.get(tid);
            long d = (long) v[1] - (b == null ? 0 : (long) b[1]);
            ticks.merge((String) v[0], d, Long::sum);
        });
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        ticks.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> out.put(e.getKey(), e.getValue() / 100.0 / wall * 100));
        return out;
    }

    /** Nearest-rank percentile of ascending values. */
    static double percentile(double[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** bin/agent-jvm-options of this checkout: the JVM options bin/poolwarden gives {@code agent}. */
    static String launcherOptions() {
        Path root = Path.of(System.getenv().getOrDefault("POOLWARDEN_PROJECT_ROOT", ".."));
        try {
            return Files.readString(root.resolve("bin/agent-jvm-options")).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("the launcher's agent JVM options", e);
        }
    }

    /**
     * What the agent's RSS is made of, for the README's analysis: smaps_rollup, the resident size per mapping
     * (largest first), the threads, the loaded class count and, when the agent runs with
     * -XX:NativeMemoryTracking=summary, the JVM's own accounting.
     */
    static String memoryReport(long pid) throws Exception {
        StringBuilder r = new StringBuilder();
        r.append(Files.readString(Path.of("/proc/" + pid + "/smaps_rollup")));
        java.util.Map<String, Long> byName = new java.util.HashMap<>();
        String name = "?";
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            String[] f = l.split("\\s+");
            if (f.length >= 5 && f[0].contains("-") && !f[0].endsWith(":")) {
                name = f.length >= 6 ? f[5] : "[anon]";
            } else if (f[0].equals("Rss:")) {
                byName.merge(name, Long.parseLong(f[1]), Long::sum);
            }
        }
        r.append("\nRSS kB per mapping:\n");
        byName.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(25)
                .forEach(e -> r.append(String.format("%8d %s%n", e.getValue(), e.getKey())));
        String threads = Lab.run(List.of("jcmd", Long.toString(pid), "Thread.print")).stdout();
        r.append("\nthreads:\n");
        for (String l : threads.split("\n")) {
            if (l.startsWith("\"")) r.append(l, 0, Math.min(l.length(), 90)).append('\n');
        }
        for (String l : Lab.run(List.of("jcmd", Long.toString(pid), "PerfCounter.print")).stdout().split("\n")) {
            if (l.startsWith("java.cls.loadedClasses") || l.startsWith("java.cls.sharedLoadedClasses")
                    || l.startsWith("sun.cls.sharedLoadedClasses")) r.append(l).append('\n');
        }
        r.append('\n').append(Lab.run(List.of("jcmd", Long.toString(pid), "VM.native_memory", "summary")).stdout());
        return r.toString();
    }

    /** Counts the control thread's top three frames in one thread dump (the dump itself costs the agent CPU). */
    static void sampleControlThread(long pid, java.util.Map<String, Integer> frames) {
        String dump = Lab.run(List.of("jcmd", Long.toString(pid), "Thread.print")).stdout();
        int at = dump.indexOf("\"poolwarden-control\"");
        if (at < 0) return;
        String[] lines = dump.substring(at).split("\n");
        StringBuilder key = new StringBuilder(lines.length > 1 ? lines[1].strip() : "?");
        int n = 0;
        for (int i = 2; i < lines.length && n < 3; i++) {
            if (lines[i].isBlank()) break;
            if (lines[i].strip().startsWith("at ")) {
                key.append(" | ").append(lines[i].strip());
                n++;
            }
        }
        frames.merge(key.toString(), 1, Integer::sum);
    }

    /** app0's CPU weight file in our cgroup root: cpu.shares where cpu is a v1 hierarchy, else cpu.weight (v2). */
    static Path weightFile(AgentProcess agent) {
        Path v1 = AgentProcess.CGROUP.resolve("cpu");
        return Files.isDirectory(v1) ? v1.resolve(agent.cgroupRoot).resolve("app0").resolve("cpu.shares")
                : AgentProcess.CGROUP.resolve(agent.cgroupRoot).resolve("app0").resolve("cpu.weight");
    }
}
