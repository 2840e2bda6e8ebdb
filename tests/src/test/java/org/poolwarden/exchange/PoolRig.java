package org.poolwarden.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.poolwarden.testkit.Lab;

/**
 * N hosts on one bridge for membership tests: a router namespace holding bridge {@code br0}, one namespace per host
 * ({@code h1..hN}, address {@code 10.77.7.i/24}) joined to it by a veth pair, and a multicast route in each host (for
 * JGroups' UDP transport; the bridge does not snoop IGMP, so multicast is flooded to every port like on a plain
 * switch). Every peer is a small JVM started inside its host's namespace; it prints one JSON object per line on
 * stdout, with a wall-clock timestamp {@code t} in milliseconds (all JVMs share this machine's clock, so times of
 * different peers compare directly). Everything is removed on {@link #close()}.
 */
final class PoolRig implements AutoCloseable {
    static final String SUBNET = "10.77.7.";
    static final ObjectMapper JSON = new ObjectMapper();
    /** Small JVMs: n of them run at once on a 2-core machine. C1 only, since warm-up compiles would dominate the CPU. */
    static final List<String> JVM_FLAGS = List.of("-Xmx64m", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
            "-Xss512k", "-Djava.net.preferIPv4Stack=true");

    final Lab lab;
    private final Lab.Host router;
    private final List<Lab.Host> hosts = new ArrayList<>();
    private final List<String> hostIfs = new ArrayList<>();
    private final List<String> bridgePorts = new ArrayList<>();
    private final List<Peer> started = new CopyOnWriteArrayList<>();

    private PoolRig(Lab lab, int n) {
        this.lab = lab;
        this.router = lab.host("r");
        String br = lab.bridge(router, "br0");
        router.sh("ip link set " + br + " type bridge mcast_snooping 0");
        for (int i = 1; i <= n; i++) {
            Lab.Host h = lab.host("h" + i);
            Lab.Link l = lab.link(h, address(i) + "/24", router, null);
            router.enslave(l.ifB(), br);
            h.sh("ip route add 224.0.0.0/4 dev " + l.ifA());
            hosts.add(h);
            hostIfs.add(l.ifA());
            bridgePorts.add(l.ifB());
        }
    }

    static PoolRig create(int n) {
        Lab lab = Lab.create();
        try {
            return new PoolRig(lab, n);
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    static String address(int i) {
        return SUBNET + i;
    }

    Lab.Host host(int i) {
        return hosts.get(i - 1);
    }

    int size() {
        return hosts.size();
    }

    /** The classpath of this test JVM. Under surefire it is the booter jar whose manifest lists the real classpath. */
    static String classpath() {
        return System.getProperty("java.class.path");
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Starts {@code mainClass args} in host i's namespace, named {@code h<i>}. */
    Peer start(int i, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(JVM_FLAGS);
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass);
        cmd.addAll(args);
        Process p = host(i).start(cmd.toArray(String[]::new));
        Peer peer = new Peer("h" + i, p);
        started.add(peer);
        return peer;
    }

    /** Bytes host i sent and received on its veth so far: {tx, rx}. */
    long[] vethBytes(int i) {
        Lab.Result r = host(i).runOk("ip", "-j", "-s", "link", "show", "dev", hostIfs.get(i - 1));
        try {
            JsonNode stats = JSON.readTree(r.stdout()).get(0).get("stats64");
            return new long[] {stats.get("tx").get("bytes").asLong(), stats.get("rx").get("bytes").asLong()};
        } catch (IOException e) {
            throw new IllegalStateException("ip -j -s link: " + r.stdout(), e);
        }
    }

    /**
     * Pulls host i's cable at the bridge (its port down): the host goes silent without its processes or sockets
     * noticing, like a host that lost power or its switch port. Nothing is reset, so no peer learns it from TCP.
     */
    void unplug(int i) {
        router.runOk("ip", "link", "set", bridgePorts.get(i - 1), "down");
    }

    void plug(int i) {
        router.runOk("ip", "link", "set", bridgePorts.get(i - 1), "up");
    }

    static double loadAverage1m() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
        } catch (IOException e) {
            return -1;
        }
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Whether cond became true within millis (no failure). */
    static boolean within(long millis, BooleanSupplier cond) throws InterruptedException {
        try {
            await("", millis, cond);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (Peer p : started) {
            p.process.destroyForcibly();
        }
        lab.close();
    }

    /** One line a peer printed: its timestamp, and the parsed object. */
    record Line(long t, JsonNode json) {
        String event() {
            return json.path("event").asText(null);
        }

        /** The member an event is about, as a host name: numeric ids of the exchange agent map to {@code h<id>}. */
        String member() {
            JsonNode m = json.get("member");
            if (m == null) {
                return null;
            }
            return m.isNumber() ? "h" + m.asLong() : m.asText();
        }
    }

    /** A running peer JVM. */
    static final class Peer {
        final String name;
        final Process process;
        final List<Line> lines = new CopyOnWriteArrayList<>();
        private final Deque<String> stderrTail = new ArrayDeque<>();
        private final Writer stdin;
        volatile long exitedAt;

        Peer(String name, Process process) {
            this.name = name;
            this.process = process;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread out = new Thread(this::readStdout, "rig-out-" + name);
            out.setDaemon(true);
            out.start();
            Thread err = new Thread(this::readStderr, "rig-err-" + name);
            err.setDaemon(true);
            err.start();
        }

        private void readStdout() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    if (!s.startsWith("{")) {
                        continue; // library banners (JGroups prints its address)
                    }
                    try {
                        JsonNode j = JSON.readTree(s);
                        lines.add(new Line(j.path("t").asLong(System.currentTimeMillis()), j));
                    } catch (IOException e) {
                        addStderr("unparsable stdout: " + s);
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            exitedAt = System.currentTimeMillis();
        }

        private void readStderr() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    addStderr(s);
                }
            } catch (IOException ignored) {
                // process gone
            }
        }

        private synchronized void addStderr(String s) {
            stderrTail.addLast(s);
            while (stderrTail.size() > 40) {
                stderrTail.removeFirst();
            }
        }

        synchronized String stderrTail() {
            return String.join("\n", stderrTail);
        }

        long pid() {
            return process.pid();
        }

        boolean ready() {
            return lines.stream().anyMatch(l -> l.json().has("ready"));
        }

        void send(String command) throws IOException {
            stdin.write(command + "\n");
            stdin.flush();
        }

        /** First line after {@code since} (ms) matching the predicate. */
        Optional<Line> first(long since, Predicate<Line> p) {
            return lines.stream().filter(l -> l.t() >= since && p.test(l)).findFirst();
        }

        Optional<Line> firstEvent(long since, String event, String member) {
            return first(since, l -> event.equals(l.event()) && member.equals(l.member()));
        }

        List<Line> events(long since, String member) {
            return lines.stream().filter(l -> l.t() >= since && l.event() != null && member.equals(l.member())).toList();
        }

        /**
         * The members this peer currently believes alive (joined and not failed or left since), from its event
         * stream: JOINED / ALIVE add, FAILED / LEFT remove; a suspicion changes nothing (a suspect is still a member).
         */
        java.util.Set<String> view() {
            Map<String, Boolean> m = new LinkedHashMap<>();
            for (Line l : lines) {
                String e = l.event();
                if (e == null || l.member() == null) {
                    continue;
                }
                switch (e) {
                    case "JOINED", "ALIVE" -> m.put(l.member(), true);
                    case "FAILED", "LEFT" -> m.put(l.member(), false);
                    default -> {
                    }
                }
            }
            java.util.Set<String> alive = new java.util.TreeSet<>();
            m.forEach((k, v) -> {
                if (v) {
                    alive.add(k);
                }
            });
            return alive;
        }

        /** Sends {@code status} and returns the answer (the exchange agent's members and counters). */
        JsonNode status(Duration timeout) throws Exception {
            int before = lines.size();
            send("status");
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (int i = before; i < lines.size(); i++) {
                    if (lines.get(i).json().has("counters")) {
                        return lines.get(i).json();
                    }
                }
                Thread.sleep(10);
            }
            throw new AssertionError(name + " answered no status within " + timeout + "; stderr:\n" + stderrTail());
        }

        void signal(String sig) {
            Lab.Result r = Lab.run(List.of("kill", "-" + sig, Long.toString(pid())));
            if (!r.ok()) {
                throw new IllegalStateException("kill -" + sig + " " + pid() + ": " + r.stderr());
            }
        }

        /** SIGKILL, and wait until the process is gone. */
        void kill() throws InterruptedException {
            signal("KILL");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " survived SIGKILL");
            }
        }

        /** CPU time this JVM has used so far, in ms (-1 if unknown). */
        long cpuMillis() {
            return process.toHandle().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
        }

        @Override
        public String toString() {
            return name + "(pid " + pid() + ")";
        }
    }
}
