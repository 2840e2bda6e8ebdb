package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/**
 * Real packets through the classifier: flows of two client namespaces routed through a router that runs it, and a
 * process-owned flow matched by its cgroup2 group. "Priority really set" is checked on an HTB qdisc whose classes
 * count what {@code meta priority} steered into them.
 */
@KernelTest(needs = {"ip", "nsenter", "ping", "iperf3", "tc", "ss", "nft"}, libraries = "libnftables.so.1")
class FlowClassificationKernelTest {
    private static final Pattern CLASS_STATS = Pattern.compile("class htb (\\S+) .*?\\n\\s*Sent (\\d+) bytes (\\d+) pkt",
            Pattern.DOTALL);

    /** Per HTB class id: bytes and packets sent, from {@code tc -s class show}. */
    static Map<String, Traffic> htbClasses(Lab.Host h, String dev) {
        String out = h.runOk("tc", "-s", "class", "show", "dev", dev).stdout();
        Map<String, Traffic> m = new HashMap<>();
        for (String block : out.split("(?=class htb )")) {
            Matcher x = CLASS_STATS.matcher(block);
            if (x.find()) {
                m.put(x.group(1), new Traffic(Long.parseLong(x.group(3)), Long.parseLong(x.group(2))));
            }
        }
        return m;
    }

    /** An HTB root with classes 1:10, 1:20, 1:40 and the default 1:30, fast enough never to queue our test traffic. */
    static void htb(Lab.Host h, String dev) {
        h.sh("tc qdisc add dev " + dev + " root handle 1: htb default 30"
                + " && tc class add dev " + dev + " parent 1: classid 1:1 htb rate 10gbit"
                + " && for c in 10 20 30 40; do tc class add dev " + dev + " parent 1:1 classid 1:$c htb rate 2gbit ceil 10gbit || exit 1; done");
    }

    static void assertRatio(long actual, long reference, double min, double max, String what) {
        double ratio = (double) actual / reference;
        assertTrue(ratio >= min && ratio <= max, "ratio " + ratio + " not in [" + min + ", " + max + "]: " + what);
    }

    static void waitForListener(Lab.Host h, int port) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (h.run("ss", "-Hltn", "sport = :" + port).stdout().contains(":" + port)) {
                return;
            }
            Thread.sleep(10);   // a real process starting; polled, not a fixed wait
        }
        throw new AssertionError("nothing listens on port " + port + " in " + h);
    }

    @Test
    void forwardedFlowsOfTwoNamespacesLandInTheirAppsAndHtbClasses() throws Exception {
        try (Lab lab = Lab.create()) {
            Lab.Host c1 = lab.host("c1");
            Lab.Host c2 = lab.host("c2");
            Lab.Host r = lab.host("r");
            Lab.Host s = lab.host("s");
            lab.link(c1, "10.77.1.2/24", r, "10.77.1.1/24");
            lab.link(c2, "10.77.2.2/24", r, "10.77.2.1/24");
            Lab.Link toS = lab.link(r, "10.77.3.1/24", s, "10.77.3.2/24");
            r.sh("sysctl -qw net.ipv4.ip_forward=1");
            // No IPv6 on the router: its router solicitations and MLD reports would count as unclassified at random times.
            r.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
            c1.sh("ip route add default via 10.77.1.1");
            c2.sh("ip route add default via 10.77.2.1");
            s.sh("ip route add default via 10.77.3.1");
            htb(r, toS.ifA());

            DesiredState desired = DesiredState.of(
                    List.of(AppSpec.of("one", "1:10"), AppSpec.of("two", "1:20")),
                    List.of(new FlowRuleSpec("one", null, "10.77.1.0/24", null, null, null),
                            new FlowRuleSpec("two", "tcp", "10.77.2.2", "10.77.3.2", null, "5201")));
            try (NftablesFlowClassifier c = NftablesFlowClassifier.open(r.netns(), "")) {
                assertTrue(c.apply(desired).commands() > 0);

                int pings = 7;
                c1.runOk("ping", "-c", Integer.toString(pings), "-i", "0.05", "-W", "2", "10.77.3.2");
                r.runOk("ping", "-c", "3", "-i", "0.05", "-W", "2", "10.77.3.2");   // the router's own: no app
                s.start("iperf3", "-s", "-1", "-p", "5201");
                waitForListener(s, 5201);
                // A byte count, not a duration: what the class must hold does not depend on how loaded the machine is.
                c2.runOk("iperf3", "-c", "10.77.3.2", "-p", "5201", "-n", "25M", "-b", "200M");

                AppCounters counters = c.counters();
                // Requests and replies are forwarded by r; replies follow by conntrack mark.
                assertEquals(2L * pings, counters.of("one").packets(), counters.toString());
                assertTrue(counters.of("two").bytes() > 20_000_000L, counters.toString());
                assertEquals(3L, counters.unclassified().packets(), "the router's own pings: " + counters);

                Map<String, Traffic> classes = htbClasses(r, toS.ifA());
                assertEquals(pings, classes.get("1:10").packets(), "echo requests of c1 in class 1:10: " + classes);
                assertTrue(classes.get("1:20").bytes() > 20_000_000L, "iperf3 data of c2 in class 1:20: " + classes);
                assertTrue(classes.get("1:30").packets() >= 3, "unclassified in the default class: " + classes);
                // Everything app "two" sent towards s went through 1:20 (its other bytes are the ACKs back to c2).
                // HTB counts a GRO packet as its segments with their headers, nftables as one skb: compare bytes.
                assertRatio(classes.get("1:20").bytes(), counters.of("two").bytes(), 0.95, 1.10, classes + " " + counters);
                assertEquals(0, classes.get("1:40").packets());
            }
        }
    }

    @Test
    void aProcessInTheAppsCgroup2GroupIsClassifiedBySocket() throws Exception {
        String prefix = NftablesFlowClassifier.detectCgroupPrefix();
        Path mount = NftablesFlowClassifier.CGROUP_FS.resolve(prefix);
        KernelRequirement.require(Files.exists(mount.resolve("cgroup.procs")) ? null : "no cgroup2 mount at " + mount);
        String group = "poolwarden-test-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = mount.resolve(group);
        Files.createDirectory(dir);
        try (Lab lab = Lab.create()) {
            Lab.Host h = lab.host("h");
            Lab.Host s = lab.host("s");
            Lab.Link l = lab.link(h, "10.77.0.1/24", s, "10.77.0.2/24");
            htb(h, l.ifA());
            DesiredState desired = DesiredState.of(List.of(new AppSpec("owned", "1:40", group)), List.of());
            try (NftablesFlowClassifier c = NftablesFlowClassifier.open(h.netns(), prefix)) {
                c.apply(desired);
                // Same destination from inside and outside the group: only the first is the app's.
                h.runOk("sh", "-c", "echo $$ > " + dir.resolve("cgroup.procs")
                        + " && exec ping -c 5 -i 0.05 -W 2 10.77.0.2");
                h.runOk("ping", "-c", "4", "-i", "0.05", "-W", "2", "10.77.0.2");
                s.start("iperf3", "-s", "-1", "-p", "5202");
                waitForListener(s, 5202);
                h.runOk("sh", "-c", "echo $$ > " + dir.resolve("cgroup.procs")
                        + " && exec iperf3 -c 10.77.0.2 -p 5202 -t 1 -b 100M");

                AppCounters counters = c.counters();
                Map<String, Traffic> classes = htbClasses(h, l.ifA());
                assertTrue(counters.of("owned").bytes() > 5_000_000L, "the owned iperf3's data: " + counters);
                // Every byte of the app (only outgoing packets pass output) went to its class; HTB adds the
                // headers of TSO segments, nftables sees one skb.
                assertRatio(classes.get("1:40").bytes(), counters.of("owned").bytes(), 1.0, 1.10,
                        "the app's packets in its class: " + classes + " " + counters);
                assertTrue(classes.get("1:30").packets() >= 4, "the outside ping went to the default: " + classes);
            }
        } finally {
            // The processes have exited; the group is empty and can go.
            Files.delete(dir);
        }
    }

    @Test
    void ipv6FlowsAreClassifiedByTheirMaps() throws Exception {
        try (Lab lab = Lab.create()) {
            Lab.Host h = lab.host("h");
            Lab.Host s = lab.host("s");
            Lab.Link l = lab.link(h, null, s, null);
            h.sh("ip -6 addr add fd77::1/64 dev " + l.ifA() + " nodad");
            s.sh("ip -6 addr add fd77::2/64 dev " + l.ifB() + " nodad");
            htb(h, l.ifA());
            DesiredState desired = DesiredState.of(
                    List.of(AppSpec.of("v6net", "1:10"), AppSpec.of("v6tcp", "1:20")),
                    List.of(new FlowRuleSpec("v6net", null, null, "fd77::/64", null, null),          // interval map
                            new FlowRuleSpec("v6tcp", "tcp", "fd77::1", "fd77::2", null, "5204"))); // exact, wins
            try (NftablesFlowClassifier c = NftablesFlowClassifier.open(h.netns(), "")) {
                c.apply(desired);
                h.runOk("ping", "-6", "-c", "5", "-i", "0.05", "-W", "2", "fd77::2");
                s.start("iperf3", "-s", "-1", "-p", "5204");
                waitForListener(s, 5204);
                h.runOk("iperf3", "-6", "-c", "fd77::2", "-p", "5204", "-n", "12M", "-b", "100M");
                AppCounters counters = c.counters();
                Map<String, Traffic> classes = htbClasses(h, l.ifA());
                // Echo requests (and any unicast neighbour probe) to fd77::/64; the iperf3 flow is the exact rule's.
                assertTrue(counters.of("v6net").packets() >= 5 && counters.of("v6net").bytes() < 100_000, counters.toString());
                assertTrue(counters.of("v6tcp").bytes() > 5_000_000L, counters.toString());
                assertEquals(counters.of("v6net").packets(), classes.get("1:10").packets(), classes + " " + counters);
                assertRatio(classes.get("1:20").bytes(), counters.of("v6tcp").bytes(), 1.0, 1.10, classes + " " + counters);
            }
        }
    }

    /** Rules for apps "bulk" and "other": {@code n} exact hosts, plus one /24 per 100 with a port range. */
    static DesiredState withExtraRules(int n, String bulkClass) {
        List<FlowRuleSpec> rules = new java.util.ArrayList<>();
        rules.add(FlowRuleSpec.remote("bulk", "tcp", "10.77.0.2", "5203"));
        for (int i = 0; i < n; i++) {
            rules.add(FlowRuleSpec.remote("other", "tcp", "10.1" + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256),
                    Integer.toString(1000 + i % 50)));
            if (i % 100 == 99) {
                rules.add(FlowRuleSpec.remote("other", "udp", "10.200." + (i / 100) + ".0/24", "2000-2999"));
            }
        }
        return DesiredState.of(List.of(AppSpec.of("bulk", bulkClass), AppSpec.of("other", "1:20")), rules);
    }

    @Test
    void reconcilingAndRestartingUnderLoadLeaveNoGapInClassification() throws Exception {
        try (Lab lab = Lab.create()) {
            Lab.Host h = lab.host("h");
            Lab.Host s = lab.host("s");
            Lab.Link l = lab.link(h, "10.77.0.1/24", s, "10.77.0.2/24");
            htb(h, l.ifA());
            try (NftablesFlowClassifier c = NftablesFlowClassifier.open(h.netns(), "")) {
                c.apply(withExtraRules(0, "1:10"));
                // A probe in a table of its own, after ours: iperf3 packets that leave without the app's priority.
                h.sh("nft 'add table inet probe; add chain inet probe post { type filter hook postrouting priority 0; };"
                        + " add rule inet probe post tcp dport 5203 meta priority != 1:10 counter;"
                        + " add rule inet probe post tcp dport 5203 counter'");
                s.start("iperf3", "-s", "-1", "-p", "5203");
                waitForListener(s, 5203);
                // Long enough for every apply even on a loaded machine; stopped once the applies are done.
                Process client = h.start("iperf3", "-c", "10.77.0.2", "-p", "5203", "-t", "120", "-b", "300M");
                Map<String, Traffic> before = htbClasses(h, l.ifA());
                long started = System.nanoTime();
                int applies = 0;
                int commands = 0;
                // Each switch adds or removes whole maps, so the base chains and "flows" are refilled every time.
                int restarts = 0;
                DesiredState current = withExtraRules(0, "1:10");
                while (applies < 12) {
                    assertTrue(client.isAlive(), "the flow runs through apply " + applies);
                    if (applies % 4 == 3) {
                        // A restart: a new instance takes the table over and has nothing to send.
                        try (NftablesFlowClassifier next = NftablesFlowClassifier.open(h.netns(), "")) {
                            // What a fresh instance would send, read before it sends it: names the difference.
                            String pending = TableDiff.between(next.read(), next.renderer().render(current)).text();
                            assertEquals(new FlowClassifier.Reconcile(0, false, true), next.apply(current),
                                    "restart " + restarts + " after " + applies + " applies would send:\n" + pending);
                        }
                        restarts++;
                    } else {
                        current = withExtraRules(applies % 2 == 0 ? 3000 : 0, "1:10");
                        commands += c.apply(current).commands();
                    }
                    applies++;
                }
                assertTrue(client.isAlive(), "the flow ran through all " + applies + " applies");
                // At least 3 s of traffic in all (as many segments as the checks below expect), however fast the applies.
                Thread.sleep(Math.max(0, 3000 - (System.nanoTime() - started) / 1_000_000));
                client.destroy();
                client.waitFor();
                Map<String, Traffic> after = htbClasses(h, l.ifA());
                long bulk = after.get("1:10").packets() - before.get("1:10").packets();
                Matcher probe = Pattern.compile("counter packets (\\d+) bytes \\d+.*?counter packets (\\d+)", Pattern.DOTALL)
                        .matcher(h.runOk("nft", "list", "chain", "inet", "probe", "post").stdout());
                assertTrue(probe.find(), "probe counters");
                long missed = Long.parseLong(probe.group(1));
                long seen = Long.parseLong(probe.group(2));
                assertTrue(commands > (applies - restarts) * 5, applies + " applies, " + commands + " commands");
                assertTrue(bulk > 10_000, "iperf3 segments in the app's class: " + after);
                assertTrue(seen > 1000, "probe saw the flow: " + seen);
                assertEquals(0, missed, "iperf3 packets without the app's priority during " + applies + " applies");
                assertTrue(restarts >= 1, "at least one restart under load");
                assertEquals(0, c.apply(current).commands(), "the last state is in place: applying it again sends nothing");
            }
        }
    }
}
