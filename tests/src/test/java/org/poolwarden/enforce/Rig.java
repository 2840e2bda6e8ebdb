package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.poolwarden.cgroup.CgroupLayout;
import org.poolwarden.cgroup.CgroupTestRoots;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testkit.Lab;

/**
 * The end-to-end setup: a pipe interface in namespace a towards b (iperf3 servers on 5201 and 5202 in b), two busy
 * loops pinned to one CPU by a cpuset group of the test's own, a per-run cgroup root, and the YAML config of two apps
 * recognised by process rules (the loops, by command line) and flow rules (remote ports). {@link #close} removes
 * every object the run made, whatever happened.
 */
final class Rig implements AutoCloseable {
    final CgroupLayout layout = CgroupLayout.detect();
    final String root = CgroupTestRoots.newName();
    final String tag = root.substring(CgroupTestRoots.PREFIX.length());
    final Lab lab;
    final Lab.Host a;
    final Lab.Host b;
    final Lab.Link link;
    final Path cpuset;
    /** The loops' cpu group before poolwarden places them: the test's own, outweighing outsiders on the CPU. */
    final Path startGroup;
    final List<Process> processes = new ArrayList<>();
    int heavy;
    int light;

    Rig() throws IOException {
        KernelRequirement.require("HybridV1CpuController".equals(layout.cpuControllerName())
                && layout.v1("cpuset") != null && layout.unifiedMount() != null
                ? null : "needs a hybrid host (v1 cpu, cpuacct, cpuset and a cgroup2 mount); this host: "
                + layout.cpuControllers());
        CgroupTestRoots.sweep(layout.v1("cpu"), layout.v1("cpuacct"), layout.v1("cpuset"), layout.unifiedMount());
        lab = Lab.create();
        a = lab.host("a");
        b = lab.host("b");
        link = lab.link(a, "10.77.0.1/24", b, "10.77.0.2/24");
        Path cs = layout.v1("cpuset");
        cpuset = Files.createDirectory(cs.resolve(root));
        String cpus = read(cs.resolve("cpuset.effective_cpus"));
        Files.writeString(cpuset.resolve("cpuset.cpus"), cpus.substring(Math.max(cpus.lastIndexOf(','),
                cpus.lastIndexOf('-')) + 1));
        Files.writeString(cpuset.resolve("cpuset.mems"), read(cs.resolve("cpuset.effective_mems")));
        startGroup = Files.createDirectory(layout.v1("cpu").resolve(CgroupTestRoots.newName()));
        Files.writeString(startGroup.resolve("cpu.shares"), "262144");
    }

    String config(String mode) {
        return """
                mode: %s
                timers: {fastTickMillis: 50, slowTickMillis: 1000}
                pipes:
                  - {name: uplink, interface: %s, capacity: 40mbit}
                apps:
                  - name: heavy
                    processRules: [{cmdline: "*pwe2e-%s-heavy*"}]
                    flowRules: [{protocol: tcp, remoteAddress: 10.77.0.2, remotePort: 5201}]
                    policy: {cpu: {weight: 300}, bandwidth: [{pipe: uplink, booking: 30mbit}]}
                  - name: light
                    processRules: [{cmdline: "*pwe2e-%s-light*"}]
                    flowRules: [{protocol: tcp, remoteAddress: 10.77.0.2, remotePort: 5202}]
                    policy: {cpu: {weight: 100}, bandwidth: [{pipe: uplink, booking: 10mbit}]}
                """.formatted(mode, link.ifA(), tag, tag);
    }

    /** The two apps' busy loops, on the rig's one CPU. */
    void startLoops() throws IOException {
        heavy = loop("heavy");
        light = loop("light");
    }

    private int loop(String app) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "while :; do :; done", "pwe2e-" + tag + "-" + app).start();
        processes.add(p);
        Files.writeString(cpuset.resolve("cgroup.procs"), Long.toString(p.pid()));
        // enough CPU in monitor mode that 10 ms accounting ticks are small against what they use
        Files.writeString(startGroup.resolve("cgroup.procs"), Long.toString(p.pid()));
        return (int) p.pid();
    }

    Path cpu(String group) {
        return group == null ? layout.v1("cpu").resolve(root) : layout.v1("cpu").resolve(root).resolve(group);
    }

    Path cpuacct(String group) {
        return group == null ? layout.v1("cpuacct").resolve(root) : layout.v1("cpuacct").resolve(root).resolve(group);
    }

    Path unified(String group) {
        return group == null ? layout.unifiedMount().resolve(root) : layout.unifiedMount().resolve(root).resolve(group);
    }

    /** Every poolwarden object of this run that exists, one line each: empty when nothing is enforced. */
    List<String> objects() {
        List<String> out = new ArrayList<>();
        for (Path p : List.of(cpu(null), cpuacct(null), unified(null))) {
            if (Files.exists(p)) out.add("cgroup " + p + " " + dirs(p));
        }
        String q = a.runOk("tc", "qdisc", "show", "dev", link.ifA()).stdout();
        if (q.contains("5057:")) out.add("qdisc: " + q.strip());
        if (q.contains("ingress")) out.add("ingress: " + q.strip());
        String t = a.runOk("nft", "list", "tables").stdout();
        if (t.contains("inet poolwarden")) out.add("nft: " + t.strip());
        String l = a.runOk("ip", "-o", "link").stdout();
        if (l.contains("pwifb")) out.add("ifb: " + l.strip());
        return out;
    }

    /** Exactly one set of objects: each group once in every hierarchy, one tree, one table with one of each part. */
    void assertExactlyOneSet() {
        Set<String> apps = Set.of("heavy", "light");
        assertEquals(apps, dirs(cpu(null)), "cpu groups");
        assertEquals(apps, dirs(cpuacct(null)), "cpuacct groups");
        assertEquals(apps, dirs(unified(null)), "cgroup2 groups");
        String q = a.runOk("tc", "qdisc", "show", "dev", link.ifA()).stdout();
        assertEquals(1, count(q, "qdisc htb 5057: root"), q);
        assertEquals(3, count(q, "qdisc pfifo 80"), "a leaf queue per class: " + q);
        String c = a.runOk("tc", "class", "show", "dev", link.ifA()).stdout();
        assertEquals(List.of("5057:1", "5057:10", "5057:11", "5057:2"), classes(c), c);
        assertEquals(1, count(a.runOk("nft", "list", "tables").stdout(), "table inet poolwarden"));
        String table = a.runOk("nft", "list", "table", "inet", "poolwarden").stdout();
        for (String part : List.of("counter app_heavy {", "counter app_light {", "chain output {", "chain forward {",
                "chain app_heavy {", "chain app_light {")) {
            assertEquals(1, count(table, part), part + " in " + table);
        }
        assertEquals(1, count(table, "socket cgroupv2 level 2 \"unified/" + root + "/heavy\""), table);
        assertEquals(Set.of(heavy), pids(cpu("heavy")));
        assertEquals(Set.of(light), pids(cpu("light")));
        assertEquals(Set.of(heavy), pids(unified("heavy")));
    }

    static List<String> classes(String tcClassShow) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("class htb (5057:[0-9a-f]+)").matcher(tcClassShow);
        while (m.find()) out.add(m.group(1));
        out.sort(null);
        return out;
    }

    static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    static Set<String> dirs(Path p) {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p, Files::isDirectory)) {
            ds.forEach(d -> out.add(d.getFileName().toString()));
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static Set<Integer> pids(Path group) {
        Set<Integer> out = new TreeSet<>();
        for (String s : read(group.resolve("cgroup.procs")).split("\\s+")) {
            if (!s.isEmpty()) out.add(Integer.parseInt(s));
        }
        return out;
    }

    static long cpuacctUsage(Path group) {
        return Long.parseLong(read(group.resolve("cpuacct.usage")));
    }

    /** CPU time of a process in ns (schedstat: what the scheduler ran it for, independent of tick accounting). */
    static long schedNanos(int pid) {
        return Long.parseLong(read(Path.of("/proc/" + pid + "/schedstat")).split(" ")[0]);
    }

    static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls until {@code check} holds; fails with {@code what} after {@code seconds}. */
    static void await(String what, int seconds, java.util.function.BooleanSupplier check) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!check.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            lab.close();
        } finally {
            CgroupTestRoots.removeTree(cpu(null), layout.v1("cpu"));
            CgroupTestRoots.removeTree(cpuacct(null), layout.v1("cpuacct"));
            CgroupTestRoots.removeTree(unified(null), layout.unifiedMount());
            CgroupTestRoots.removeTree(cpuset, layout.v1("cpuset"));
            CgroupTestRoots.removeTree(startGroup, layout.v1("cpu"));
        }
    }
}
