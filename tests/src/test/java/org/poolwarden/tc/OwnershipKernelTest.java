package org.poolwarden.tc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.poolwarden.cgroup.AbstractCpuController;
import org.poolwarden.cgroup.AppGroup;
import org.poolwarden.cgroup.CgroupLayout;
import org.poolwarden.cgroup.CgroupTestRoots;
import org.poolwarden.cgroup.CpuController;
import org.poolwarden.cgroup.CpuControllers;
import org.poolwarden.cgroup.WeightMapping;
import org.poolwarden.cli.CleanupCommand;
import org.poolwarden.nft.AppSpec;
import org.poolwarden.nft.DesiredState;
import org.poolwarden.nft.FlowRuleSpec;
import org.poolwarden.nft.NftablesFlowClassifier;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.ForeignObjectException;
import org.poolwarden.tc.bandwidth.RtnetlinkBandwidthController;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;
import picocli.CommandLine;

/**
 * poolwarden touches only what it owns. Someone else's objects sit on the very interfaces (and next to the cgroup
 * root) we manage: an ingress qdisc without filters, one with a u32 filter, an HTB root of their own, IFB devices
 * not named by us, nftables tables (one called {@code ip poolwarden}), cgroups beside our root whose names start
 * like ours. We apply, restart (fresh instances must find nothing to do), and run {@code cleanup}; after each step
 * every foreign object is exactly as it was (tc/nft JSON and cgroup listings, counters left out), and after cleanup
 * the interfaces' whole traffic control is what it was before we came.
 */
@KernelTest(needs = {"ip", "nsenter", "tc", "nft", "ping"}, libraries = "libnftables.so.1")
class OwnershipKernelTest {
    static final long MBIT = 1_000_000;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Statistics the kernel keeps moving: not state. */
    static final List<String> COUNTERS = List.of("bytes", "packets", "drops", "overlimits", "requeues", "backlog",
            "qlen");

    static BandwidthSpec.TreeSpec tree() {
        return new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(0x7000, MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("web", 0x10, 20 * MBIT, 40 * MBIT)), List.of());
    }

    static BandwidthSpec spec(String dev) {
        return new BandwidthSpec(dev, 1000 * MBIT, tree(), tree(), false);
    }

    /** The apps and flow rules of our nftables table. */
    static DesiredState flows() {
        return DesiredState.of(List.of(AppSpec.of("web", "5057:10")),
                List.of(FlowRuleSpec.remote("web", "tcp", "10.77.1.2", "5201")));
    }

    static final List<CpuController.Desired> GROUPS = List.of(new CpuController.Desired(AppGroup.of("web", 300), Set.of()),
            new CpuController.Desired(AppGroup.of("bulk", 100), Set.of()));

    @Test
    void applyRestartAndCleanupLeaveEveryForeignObjectAsItWasAndRemoveAllOfOurs() throws Exception {
        CgroupLayout layout = CgroupLayout.detect();
        List<Path> mounts = Stream.of(layout.v1("cpu"), layout.v1("cpuacct"), layout.unifiedMount())
                .filter(Objects::nonNull).distinct().toList();
        CgroupTestRoots.sweep(mounts.toArray(Path[]::new));
        String root = CgroupTestRoots.newName();
        // beside our root, and named so that a prefix match on ours would take them too
        List<Path> foreignGroups = new ArrayList<>();
        for (Path m : mounts) {
            foreignGroups.add(m.resolve(root + "x"));
            foreignGroups.add(m.resolve(root + "x").resolve("inner"));
        }
        try (Lab lab = Lab.create()) {
            Lab.Host a = lab.host("a");
            Lab.Host b = lab.host("b");
            String p1 = lab.link(a, "10.77.1.1/24", b, "10.77.1.2/24").ifA();
            String p2 = lab.link(a, "10.77.2.1/24", b, "10.77.2.2/24").ifA();
            String p3 = lab.link(a, null, b, null).ifA();
            Foreign foreign = new Foreign(a, List.of(p1, p2, p3, "ifb9", "pwifbx"), foreignGroups);
            a.sh("tc qdisc add dev " + p1 + " ingress");
            a.sh("tc qdisc add dev " + p2 + " ingress && tc filter add dev " + p2 + " parent ffff: prio 5 protocol ip"
                    + " u32 match ip dst 10.1.1.1/32 flowid 1:1");
            a.sh("tc qdisc add dev " + p3 + " root handle 1: htb default 1 && tc class add dev " + p3
                    + " parent 1: classid 1:1 htb rate 10mbit && tc filter add dev " + p3
                    + " parent 1: prio 3 protocol ip u32 match ip dport 22 0xffff flowid 1:1");
            a.sh("ip link add ifb9 type ifb && tc qdisc add dev ifb9 root handle 2: htb default 2"
                    + " && ip link add pwifbx type ifb");
            a.sh("nft add table inet someoneelse && nft add chain inet someoneelse out '{ type filter hook output"
                    + " priority 0; }' && nft add rule inet someoneelse out counter"
                    + " && nft add table ip poolwarden && nft add counter ip poolwarden theirs");
            for (Path g : foreignGroups) {
                Files.createDirectory(g);
            }
            Files.writeString(layout.v1("cpu") != null ? layout.v1("cpu").resolve(root + "x").resolve("cpu.shares")
                    : layout.unifiedMount().resolve(root + "x").resolve("cpu.weight"), "77");
            String foreignBefore = foreign.snapshot();
            String pipesBefore = foreign.tc(List.of(p1, p2, p3), x -> true);

            // ---- apply
            try (Instances i = Instances.open(a, layout, root)) {
                assertTrue(i.tc().apply(spec(p1)).changesSent() > 0);
                assertTrue(i.tc().apply(spec(p2)).changesSent() > 0);
                ForeignObjectException e = assertThrows(ForeignObjectException.class, () -> i.tc().apply(spec(p3)));
                System.out.println("refused: " + e.getMessage());
                assertEquals(p3, e.device());
                assertTrue(e.getMessage().startsWith(p3 + ": root qdisc htb 1: is not poolwarden's"), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                assertTrue(i.nft().apply(flows()).commands() > 0);
                assertTrue(i.cpu().reconcile(GROUPS).writes() > 0);
                assertEquals(foreignBefore, foreign.snapshot(), "apply changed a foreign object");
                assertEquals(List.of(p1 + " egress+ingress", p2 + " egress+ingress"), ours(a, List.of(p1, p2, p3)));
                assertTrue(a.runOk("nft", "list", "tables").stdout().contains("table inet poolwarden"));
                for (Path m : mounts.subList(0, layout.v1("cpu") != null ? 2 : 1)) {
                    assertTrue(Files.isDirectory(m.resolve(root).resolve("web")), m + "/" + root + "/web");
                }
                // the shared ingress qdiscs really hand b's packets to our IFB trees
                b.runOk("ping", "-c", "3", "-i", "0.2", "-q", "10.77.1.1");
                b.runOk("ping", "-c", "3", "-i", "0.2", "-q", "10.77.2.1");
                for (String p : List.of(p1, p2)) {
                    long packets = i.tc().stats(p).ingress("default").orElseThrow().packets();
                    assertTrue(packets >= 3, p + ": " + packets + " packets through our ingress tree");
                }
            }

            // ---- restart: fresh instances find everything in place
            String withOurs = foreign.tc(List.of(p1, p2, p3), x -> true);
            try (Instances i = Instances.open(a, layout, root)) {
                for (String p : List.of(p1, p2)) {
                    var r = i.tc().apply(spec(p));
                    assertTrue(r.unchanged(), p + ": " + r.changes());
                }
                assertThrows(ForeignObjectException.class, () -> i.tc().apply(spec(p3)));
                assertEquals(0, i.nft().apply(flows()).commands(), "nft after a restart");
                assertEquals(0, i.cpu().reconcile(GROUPS).writes(), "cpu groups after a restart");
            }
            assertEquals(withOurs, foreign.tc(List.of(p1, p2, p3), x -> true), "the restart changed tc state");
            assertEquals(foreignBefore, foreign.snapshot(), "the restart changed a foreign object");

            // ---- cleanup, twice (the second finds nothing)
            for (int round = 0; round < 2; round++) {
                int exit = new CommandLine(new CleanupCommand()).execute("--cgroup-root", root, "--netns",
                        a.netns().toString());
                assertEquals(0, exit);
                assertEquals(foreignBefore, foreign.snapshot(), "cleanup changed a foreign object");
                assertEquals(pipesBefore, foreign.tc(List.of(p1, p2, p3), x -> true),
                        "after cleanup the pipes' traffic control is what it was before we came");
                assertEquals(List.of(), ours(a, List.of(p1, p2, p3)));
                assertFalse(a.runOk("nft", "list", "tables").stdout().contains("table inet poolwarden"));
                for (Path m : mounts) {
                    assertFalse(Files.exists(m.resolve(root)), m.resolve(root) + " is gone");
                }
            }
        } finally {
            for (Path m : mounts) {
                CgroupTestRoots.removeTree(m.resolve(root + "x"), m);
                CgroupTestRoots.removeTree(m.resolve(root), m);
            }
        }
    }

    /** One agent's worth of adapters in namespace {@code a} with cgroup root {@code root}: opened anew to restart. */
    record Instances(RtnetlinkBandwidthController tc, NftablesFlowClassifier nft, AbstractCpuController cpu)
            implements AutoCloseable {
        static Instances open(Lab.Host a, CgroupLayout layout, String root) {
            RtnetlinkBandwidthController tc = RtnetlinkBandwidthController.open(a.netns());
            try {
                return new Instances(tc, NftablesFlowClassifier.open(a.netns(), NftablesFlowClassifier.detectCgroupPrefix()),
                        CpuControllers.forHost(layout, root, WeightMapping.LINEAR));
            } catch (RuntimeException e) {
                tc.close();
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                tc.close();
            } finally {
                nft.close();
            }
        }
    }

    /** Which pipes carry our objects: root 5057:, our redirect (prio 0x5057), our IFB. */
    static List<String> ours(Lab.Host a, List<String> pipes) {
        List<String> out = new ArrayList<>();
        String links = a.runOk("ip", "-o", "link").stdout();
        for (String p : pipes) {
            boolean egress = a.runOk("tc", "qdisc", "show", "dev", p).stdout().contains("qdisc htb 5057: root");
            boolean redirect = a.runOk("tc", "filter", "show", "dev", p, "ingress").stdout()
                    .contains("pref " + BandwidthController.INGRESS_REDIRECT_PRIO);
            int index = Foreign.parse(a.runOk("ip", "-j", "link", "show", "dev", p).stdout()).get(0).path("ifindex").asInt();
            boolean ifb = links.contains(" " + RtnetlinkBandwidthController.ifbName(index) + ":");
            if (egress || redirect || ifb) {
                out.add(p + (egress ? " egress" : "") + (redirect && ifb ? "+ingress" : redirect ? "+redirect"
                        : ifb ? "+ifb" : ""));
            }
        }
        return out;
    }

    /** Everything in namespace a (and the cgroup mounts) that is not ours, as canonical text. */
    record Foreign(Lab.Host a, List<String> devices, List<Path> groups) {
        String snapshot() {
            StringBuilder sb = new StringBuilder(tc(devices, Foreign::notOurs));
            for (String d : List.of("ifb9", "pwifbx")) {
                sb.append(d).append(" link ").append(json(a.runOk("ip", "-d", "-j", "link", "show", "dev", d).stdout(),
                        x -> true)).append('\n');
            }
            JsonNode ruleset = parse(a.runOk("nft", "-j", "list", "ruleset").stdout()).get("nftables");
            sb.append("nft ").append(strip(filter((ArrayNode) ruleset, n -> !n.has("metainfo") && !inOurTable(n))))
                    .append('\n');
            for (Path g : groups) {
                sb.append(g).append(' ').append(listing(g)).append('\n');
            }
            return sb.toString();
        }

        /** tc's view of {@code devs} (qdiscs, classes, filters both ways), entries kept by {@code keep}. */
        String tc(List<String> devs, Predicate<JsonNode> keep) {
            StringBuilder sb = new StringBuilder();
            for (String d : devs) {
                sb.append(d).append(" qdiscs ").append(json(a.runOk("tc", "-s", "-j", "qdisc", "show", "dev", d)
                        .stdout(), keep)).append('\n');
                // iproute2 6.1 ignores -j for classes; without -s there are no counters in the text
                a.runOk("tc", "class", "show", "dev", d).stdout().lines()
                        .filter(l -> keep.test(JSON.createObjectNode().put("handle", l)))
                        .forEach(l -> sb.append(d).append(" class ").append(l).append('\n'));
                sb.append(d).append(" filters ").append(json(a.runOk("tc", "-j", "filter", "show", "dev", d).stdout(),
                        keep)).append('\n');
                sb.append(d).append(" ingress ").append(json(a.runOk("tc", "-j", "filter", "show", "dev", d, "ingress")
                        .stdout(), keep)).append('\n');
            }
            return sb.toString();
        }

        /**
         * Not ours: handle/parent 5057: (our tree; class lines carry the handle in their text), our leaf queues
         * 80xx: under it, our redirect's priority, and the kernel's default root 0: (which our root replaces).
         */
        static boolean notOurs(JsonNode n) {
            String handle = n.path("handle").asText();
            String parent = n.path("parent").asText();
            return !handle.contains("5057:") && !parent.startsWith("5057:") && !"0:".equals(handle)
                    && n.path("pref").asInt() != BandwidthController.INGRESS_REDIRECT_PRIO;
        }

        /** An entry of {@code nft -j list ruleset} that belongs to table inet poolwarden. */
        static boolean inOurTable(JsonNode n) {
            var e = n.fields().next();
            JsonNode v = e.getValue();
            String table = "table".equals(e.getKey()) ? v.path("name").asText() : v.path("table").asText();
            return "inet".equals(v.path("family").asText()) && "poolwarden".equals(table);
        }

        static String json(String text, Predicate<JsonNode> keep) {
            JsonNode n = parse(text.isBlank() ? "[]" : text);
            return strip(filter((ArrayNode) n, keep));
        }

        static ArrayNode filter(ArrayNode in, Predicate<JsonNode> keep) {
            ArrayNode out = JSON.createArrayNode();
            in.forEach(n -> {
                if (keep.test(n)) {
                    out.add(n);
                }
            });
            return out;
        }

        /** Canonical JSON without the counters. */
        static String strip(JsonNode n) {
            JsonNode c = n.deepCopy();
            removeCounters(c);
            return c.toString();
        }

        static void removeCounters(JsonNode n) {
            if (n instanceof ObjectNode o) {
                o.remove(COUNTERS);
            }
            n.forEach(OwnershipKernelTest.Foreign::removeCounters);
        }

        static JsonNode parse(String text) {
            try {
                return JSON.readTree(text);
            } catch (IOException e) {
                throw new UncheckedIOException(text, e);
            }
        }

        /** A cgroup directory: its entries, and the content of its cpu knobs. */
        static String listing(Path dir) {
            Map<String, String> m = new TreeMap<>();
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    boolean knob = name.equals("cpu.shares") || name.equals("cpu.weight") || name.equals("cpu.max")
                            || name.equals("cpu.cfs_quota_us") || name.equals("cgroup.procs");
                    m.put(name, Files.isDirectory(p) ? "/" : knob ? Files.readString(p).strip() : "");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return m.toString();
        }
    }
}
