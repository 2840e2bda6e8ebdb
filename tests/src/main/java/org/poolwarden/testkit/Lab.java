package org.poolwarden.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A throw-away network of hosts for kernel tests: network namespaces, veth pairs and bridges, all named with a
 * per-run prefix ({@code pw} + five random characters) and removed by {@link #close()}, even when the test failed.
 *
 * <p>A JVM killed mid-test cannot clean up, so every run leaves an owner file {@code /run/poolwarden-lab/PREFIX}
 * holding its pid, and {@link #create()} first sweeps the objects of every prefix whose owner is no longer alive.
 * Runs that are alive (another build on the same machine) are left alone.
 *
 * <p>Commands run inside a host with {@code nsenter --net=...}, not {@code ip netns exec}: the latter remounts
 * /sys and would hide the cgroup mounts from the command.
 */
public final class Lab implements AutoCloseable {
    static final Path OWNERS = Path.of("/run/poolwarden-lab");
    static final Path NETNS_DIR = Path.of("/run/netns");
    static final Pattern PREFIX = Pattern.compile("pw[a-z0-9]{5}");
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final String prefix;
    private final List<Host> hosts = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private int links;
    private boolean closed;

    /** One result of a command: exit code and both outputs. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** Throws with the command's own error output when it failed. */
        public Result orThrow(List<String> command) {
            if (exitCode != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + exitCode + ": "
                        + stderr.strip() + (stdout.isBlank() ? "" : " / " + stdout.strip()));
            }
            return this;
        }
    }

    /** The two ends of a veth pair. */
    public record Link(String ifA, String ifB) {
    }

    private Lab(String prefix) {
        this.prefix = prefix;
        this.shutdownHook = new Thread(this::close, "lab-cleanup-" + prefix);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Sweeps what dead runs left behind, then starts a new lab with its own prefix. */
    public static Lab create() {
        sweepStale();
        String prefix = newPrefix();
        try {
            Files.createDirectories(OWNERS);
            Files.writeString(OWNERS.resolve(prefix), Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record lab owner in " + OWNERS, e);
        }
        return new Lab(prefix);
    }

    public String prefix() {
        return prefix;
    }

    /** A new network namespace {@code PREFIX-NAME} with loopback up. */
    public Host host(String name) {
        requireOpen();
        Host h = new Host(this, prefix + "-" + name);
        exec(List.of("ip", "netns", "add", h.name)).orThrow(List.of("ip", "netns", "add", h.name));
        hosts.add(h);
        h.sh("ip link set lo up");
        return h;
    }

    /** A veth pair between two hosts, addressed (CIDR, may be null) and up. */
    public synchronized Link link(Host a, String cidrA, Host b, String cidrB) {
        requireOpen();
        int n = links++;
        String ifA = prefix + "v" + n + "a";
        String ifB = prefix + "v" + n + "b";
        List<String> cmd = List.of("ip", "link", "add", ifA, "netns", a.name, "type", "veth", "peer", "name", ifB,
                "netns", b.name);
        exec(cmd).orThrow(cmd);
        a.up(ifA, cidrA);
        b.up(ifB, cidrB);
        return new Link(ifA, ifB);
    }

    /** A bridge inside {@code host}, up; attach veth ends to it with {@link Host#enslave}. */
    public String bridge(Host host, String name) {
        requireOpen();
        host.sh("ip link add " + name + " type bridge && ip link set " + name + " up");
        return name;
    }

    /** Starts a background process, killed when the lab closes. */
    Process start(List<String> command) {
        requireOpen();
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** The hosts in creation order (tests use it to find a host they did not keep a reference to). */
    public List<Host> hostsForTest() {
        return List.copyOf(hosts);
    }

    /** Kills every process and removes every namespace (and with it every link and bridge) this lab made. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Host> reversed = new ArrayList<>(hosts);
        Collections.reverse(reversed);
        for (Host h : reversed) {
            removeNamespace(h.name);
        }
        try {
            Files.deleteIfExists(OWNERS.resolve(prefix));
        } catch (IOException ignored) {
            // the next sweep finds no live owner and removes nothing: harmless
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down: this close() is the hook
        }
    }

    /** Removes the namespaces of every run whose owner process is gone. Returns how many were removed. */
    public static int sweepStale() {
        int removed = 0;
        for (String ns : listNamespaces()) {
            String p = ns.contains("-") ? ns.substring(0, ns.indexOf('-')) : ns;
            if (PREFIX.matcher(p).matches() && !ownerAlive(p)) {
                removeNamespace(ns);
                removed++;
            }
        }
        try (var owners = Files.list(OWNERS)) {
            for (Path f : (Iterable<Path>) owners::iterator) {
                if (!ownerAlive(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException ignored) {
            // no owners directory yet
        }
        return removed;
    }

    /** The namespaces of this machine (ip netns list). */
    public static List<String> listNamespaces() {
        List<String> names = new ArrayList<>();
        try (var files = Files.list(NETNS_DIR)) {
            files.forEach(f -> names.add(f.getFileName().toString()));
        } catch (IOException ignored) {
            // no /run/netns: no named namespaces
        }
        return names;
    }

    static boolean ownerAlive(String prefix) {
        try {
            long pid = Long.parseLong(Files.readString(OWNERS.resolve(prefix)).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static void removeNamespace(String ns) {
        // Kill what still runs inside (a killed test's iperf3) so the namespace really goes away.
        Result pids = exec(List.of("ip", "netns", "pids", ns));
        for (String pid : pids.stdout().split("\\s+")) {
            if (!pid.isBlank()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        exec(List.of("ip", "netns", "delete", ns));
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("lab " + prefix + " is closed");
        }
    }

    private static String newPrefix() {
        SecureRandom r = new SecureRandom();
        StringBuilder sb = new StringBuilder("pw");
        for (int i = 0; i < 5; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Runs a command in the current (host) namespace and waits for it, with a timeout. */
    public static Result run(List<String> command) {
        return exec(command);
    }

    static Result exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).start();
            p.getOutputStream().close();
            // Read both streams concurrently so a chatty command cannot block on a full pipe.
            var err = new java.util.concurrent.CompletableFuture<String>();
            Thread t = new Thread(() -> {
                try {
                    err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    err.complete("");
                }
            });
            t.setDaemon(true);
            t.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out, "timed out after " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            return new Result(p.exitValue(), out, err.join());
        } catch (IOException e) {
            return new Result(127, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }

    /** One network namespace of the lab. */
    public static final class Host {
        private final Lab lab;
        private final String name;

        Host(Lab lab, String name) {
            this.lab = lab;
            this.name = name;
        }

        public String name() {
            return name;
        }

        /** The namespace's path, for {@code Netns.call} and {@code NetlinkSocket.open}. */
        public Path netns() {
            return NETNS_DIR.resolve(name);
        }

        private List<String> inside(List<String> command) {
            List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + netns(), "--"));
            full.addAll(command);
            return full;
        }

        /** Runs a command inside the namespace and waits for it. */
        public Result run(String... command) {
            return exec(inside(List.of(command)));
        }

        /** Runs a command and throws with its error output if it fails. */
        public Result runOk(String... command) {
            List<String> full = inside(List.of(command));
            return exec(full).orThrow(full);
        }

        /** Runs a shell line inside the namespace; throws if it fails. */
        public Result sh(String line) {
            return runOk("sh", "-c", line);
        }

        /** Starts a background process inside the namespace; the lab kills it on close. */
        public Process start(String... command) {
            return lab.start(inside(List.of(command)));
        }

        /** Brings an interface up with an optional address. */
        public void up(String ifname, String cidr) {
            if (cidr != null) {
                runOk("ip", "addr", "add", cidr, "dev", ifname);
            }
            runOk("ip", "link", "set", ifname, "up");
        }

        /** Attaches an interface to a bridge in this namespace. */
        public void enslave(String ifname, String bridge) {
            runOk("ip", "link", "set", ifname, "master", bridge);
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
