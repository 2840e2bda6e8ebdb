package org.poolwarden.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.poolwarden.testkit.Lab;

/**
 * The real {@code poolwarden agent} as a process, for kernel tests and the process benchmark: its own config
 * directory, store, token file, free loopback API port, cgroup root (the lab's prefix) and network namespace, so it
 * never touches the machine's real poolwarden objects. Also lists the kernel objects it may have made.
 */
final class AgentProcess implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path CGROUP = Path.of("/sys/fs/cgroup");

    /** The launchers' MALLOC_ARENA_MAX for the agent. */
    static final String MALLOC_ARENA_MAX = "2";

    final Path jar;
    final Path dir;
    final Path config;
    final Path log;
    final int port;
    final String cgroupRoot;
    final Path netns;
    final String iface;
    final List<String> jvm;
    Process process;

    AgentProcess(Path jar, Path dir, String cgroupRoot, Path netns, String iface, List<String> jvm) throws IOException {
        this.jar = jar;
        this.dir = dir;
        this.config = Files.createDirectories(dir.resolve("etc"));
        this.log = dir.resolve("agent.log");
        this.port = freePort();
        this.cgroupRoot = cgroupRoot;
        this.netns = netns;
        this.iface = iface;
        this.jvm = jvm;
    }

    static Path jar() {
        Path root = Path.of(System.getenv().getOrDefault("POOLWARDEN_PROJECT_ROOT", ".."));
        return root.resolve("java-agent/target/poolwarden.jar").toAbsolutePath();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    void writeConfig(String yaml) throws IOException {
        // Written aside and moved: the agent must never read half a file.
        Path tmp = config.resolve(".poolwarden.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, config.resolve("poolwarden.yaml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    List<String> agentArgs(String... extra) {
        List<String> cmd = new ArrayList<>(List.of("agent", "--config", config.toString(), "--store",
                dir.resolve("history.db").toString(), "--api", "127.0.0.1:" + port, "--api-token-file",
                dir.resolve("api.token").toString(), "--cgroup-root", cgroupRoot, "--netns", netns.toString()));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** Starts the agent; its stderr goes to {@link #log} (appended across restarts). */
    Process start(String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(agentArgs(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // As the launchers (bin/poolwarden, the package's and the Ansible role's wrappers) run the agent.
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX);
        process = pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.out")
                .toFile())).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return process;
    }

    /** Waits until the API answers {@code status}; fails with the log when the agent died or took too long. */
    JsonNode awaitReady(long timeoutMillis) throws Exception {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < end) {
            if (!process.isAlive()) throw new AssertionError("the agent exited with " + process.exitValue() + ":\n"
                    + logText());
            Lab.Result r = cli("status", "--json");
            if (r.exitCode() == 0) return JSON.readTree(r.stdout());
            Thread.sleep(200);
        }
        throw new AssertionError("the agent did not answer within " + timeoutMillis + " ms:\n" + logText());
    }

    Lab.Result cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx64m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--api", "http://127.0.0.1:" + port, "--token-file", dir.resolve("api.token").toString()));
        return Lab.run(cmd);
    }

    JsonNode json(String... args) throws IOException {
        Lab.Result r = cli(args);
        if (r.exitCode() != 0) throw new AssertionError(String.join(" ", args) + ": exit " + r.exitCode() + ": "
                + r.stderr() + "\nagent log:\n" + logText());
        return JSON.readTree(r.stdout());
    }

    Lab.Result cleanup() {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx64m", "-jar", jar.toString(), "agent", "--cleanup",
                "--cgroup-root", cgroupRoot, "--netns", netns.toString()));
        return Lab.run(cmd);
    }

    void signal(String sig) {
        Lab.run(List.of("kill", "-" + sig, Long.toString(process.pid())));
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void await(String what, long timeoutMillis, BooleanSupplier cond) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    // ---- what is in the kernel ----

    /** Every directory of our cgroup root in every hierarchy, as "hierarchy:relative/path". */
    TreeSet<String> cgroups() {
        TreeSet<String> out = new TreeSet<>();
        List<Path> hierarchies = new ArrayList<>(List.of(CGROUP));
        try (Stream<Path> s = Files.list(CGROUP)) {
            s.filter(Files::isDirectory).forEach(hierarchies::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path h : hierarchies) {
            Path root = h.resolve(cgroupRoot);
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> s = Files.walk(root, 4)) {
                s.filter(Files::isDirectory).forEach(p -> out.add(CGROUP.relativize(h) + ":" + h.relativize(p)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Each of our cgroup directories with its inode: the same inode means the same group, not one made again. */
    java.util.Map<String, Object> cgroupInodes() {
        java.util.Map<String, Object> out = new java.util.TreeMap<>();
        for (String g : cgroups()) {
            String[] hp = g.split(":", 2);
            try {
                out.put(g, Files.getAttribute(CGROUP.resolve(hp[0]).resolve(hp[1]), "unix:ino"));
            } catch (IOException e) {
                out.put(g, "gone");
            }
        }
        return out;
    }

    /** The cgroup directories (any hierarchy) whose process list holds {@code pid}. */
    TreeSet<String> cgroupsOf(long pid) {
        TreeSet<String> out = new TreeSet<>();
        for (String g : cgroups()) {
            String[] hp = g.split(":", 2);
            Path procs = CGROUP.resolve(hp[0]).resolve(hp[1]).resolve("cgroup.procs");
            try {
                if (Files.readAllLines(procs).contains(Long.toString(pid))) out.add(g);
            } catch (IOException e) {
                // removed meanwhile
            }
        }
        return out;
    }

    Lab.Result inNetns(String... cmd) {
        List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + netns));
        c.addAll(List.of(cmd));
        return Lab.run(c);
    }

    /** Our tc objects in the namespace: the root qdiscs with handle 5057: and every class and filter on them. */
    List<String> tc() {
        List<String> out = new ArrayList<>();
        for (String l : inNetns("tc", "qdisc", "show").stdout().split("\n")) {
            if (l.contains(" 5057:") || l.contains("pwifb")) out.add(l.strip());
        }
        for (String l : inNetns("tc", "class", "show", "dev", iface).stdout().split("\n")) {
            if (l.contains("5057:")) out.add(l.replaceAll("\\s+", " ").strip());
        }
        return out;
    }

    /** nftables tables in the namespace, one line each. */
    List<String> nftTables() {
        List<String> out = new ArrayList<>();
        for (String l : inNetns("nft", "list", "tables").stdout().split("\n")) if (!l.isBlank()) out.add(l.strip());
        return out;
    }

    /** Our table without counters or handles, to compare two agents' rule sets. */
    String nftRuleset() {
        return inNetns("nft", "-s", "list", "table", "inet", "poolwarden").stdout();
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        cleanup();
    }
}
