package org.poolwarden.tc.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.os.Netns;
import org.poolwarden.testing.KernelTest;

/** The contract against the real kernel: a veth pair in a named network namespace made (and removed) per test. */
@KernelTest(needs = {"ip", "tc"})
class RtnetlinkBandwidthControllerKernelTest extends BandwidthControllerContract {
    String ns;

    @Override
    BandwidthController create() throws Exception {
        ns = "pwtc" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        sh("ip", "netns", "add", ns);
        sh("ip", "-n", ns, "link", "add", "pipe0", "type", "veth", "peer", "name", "pipe1");
        sh("ip", "-n", ns, "link", "set", "pipe0", "up");
        sh("ip", "-n", ns, "link", "set", "pipe1", "up");
        return RtnetlinkBandwidthController.open(Netns.named(ns));
    }

    @AfterEach
    void removeNamespace() throws Exception {
        if (ns != null) {
            sh("ip", "netns", "del", ns);
        }
    }

    @Override
    String device() {
        return "pipe0";
    }

    String tc(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "tc"));
        cmd.addAll(List.of(args));
        return sh(cmd.toArray(String[]::new));
    }

    @Override
    void tamperRate(int minor, long rateBits) throws Exception {
        tc("class", "change", "dev", "pipe0", "parent", "5057:1", "classid", "5057:" + Integer.toHexString(minor),
                "htb", "rate", rateBits + "bit", "ceil", "40mbit", "quantum", "1600");
    }

    @Override
    void deleteClassOutside(int minor) throws Exception {
        // the kernel refuses to delete a class that filters point at: take those away too, as an admin would
        for (int prio : new int[] {10, 11}) {
            tc("filter", "del", "dev", "pipe0", "parent", "5057:", "prio", Integer.toString(prio));
        }
        tc("class", "del", "dev", "pipe0", "classid", "5057:" + Integer.toHexString(minor));
    }

    @Override
    void installForeignRoot() throws Exception {
        tc("qdisc", "add", "dev", "pipe0", "root", "handle", "1:", "htb", "default", "1");
    }

    @Override
    void installForeignIngress(String kind, int filterPrio) throws Exception {
        tc("qdisc", "add", "dev", "pipe0", kind);
        if (filterPrio != 0) {
            tc("filter", "add", "dev", "pipe0", "parent", "clsact".equals(kind) ? "ffff:fff2" : "ffff:", "prio",
                    Integer.toString(filterPrio), "protocol", "ip", "u32", "match", "ip", "dst", "10.1.1.1/32",
                    "flowid", "1:1");
        }
    }

    @Override
    void deleteIngressRedirectOutside() throws Exception {
        tc("filter", "del", "dev", "pipe0", "ingress", "prio", Integer.toString(BandwidthController.INGRESS_REDIRECT_PRIO));
    }

    @Override
    long kernelRate(int minor) throws Exception {
        String out = tc("class", "show", "dev", "pipe0", "classid", "5057:" + Integer.toHexString(minor));
        Matcher m = Pattern.compile(" rate (\\d+)([KMG]?)bit").matcher(out);
        if (!m.find()) {
            return -1;
        }
        long v = Long.parseLong(m.group(1));
        return v * switch (m.group(2)) {
            case "K" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            default -> 1L;
        };
    }

    @Override
    String snapshot() throws Exception {
        // tc's view of every device in the namespace, plus the links (an ifb appears there)
        // link names only: carrier state settles asynchronously after the veth comes up
        List<String> names = sh("ip", "-n", ns, "-br", "link").lines().map(l -> l.split("[\\s@]+")[0]).toList();
        StringBuilder sb = new StringBuilder(String.join(" ", names)).append('\n');
        for (String dev : names) {
            // counters that move with background traffic (IPv6 router solicitations) are not state
            sb.append(tc("-d", "qdisc", "show", "dev", dev).replaceAll("direct_packets_stat \\d+", ""));
            sb.append(tc("-d", "class", "show", "dev", dev));
            sb.append(tc("filter", "show", "dev", dev));
            sb.append(tc("filter", "show", "dev", dev, "ingress"));
            sb.append(tc("filter", "show", "dev", dev, "parent", "ffff:fff2")); // clsact's ingress side
        }
        return sb.toString();
    }

    @Test
    void theKernelHasTheQuantaAndLeafQueuesWeAskedFor() throws Exception {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        // the kernel answers "quantum of class 5057xxxx is big" (an extended-ack warning) when a quantum is left to
        // rate/r2q; ours are explicit, so no request came back with a warning
        var ch = ((RtnetlinkBandwidthController) controller).channel();
        assertEquals(0, ch.warnings(), "kernel warning: " + ch.lastWarning());
        String classes = tc("-d", "class", "show", "dev", "pipe0");
        // 29 Mbit/10 = 362500 would make the kernel warn "quantum is big": the tree's r2q is 25 instead (its 40 Mbit
        // share / 200000), so every leaf's quantum stays in proportion to its rate: 3625000/25, 1250000/25, 125000/25
        assertTrue(classes.contains("class htb 5057:10 parent 5057:1 leaf 8010: prio 0 quantum 145000 rate 29Mbit"), classes);
        assertTrue(classes.contains("quantum 50000 rate 10Mbit"), classes);
        assertTrue(classes.contains("quantum 5000 rate 1Mbit"), classes);
        String qdiscs = tc("qdisc", "show", "dev", "pipe0");
        assertTrue(qdiscs.contains("qdisc htb 5057: root"), qdiscs);
        assertTrue(qdiscs.contains("qdisc pfifo 8010: parent 5057:10 limit 32p"), qdiscs);
        String filters = tc("filter", "show", "dev", "pipe0");
        assertTrue(filters.contains("flowid 5057:10"), filters);
        assertTrue(filters.contains("match 00001451/0000ffff at 20"), "dport 5201: " + filters);
    }

    @Test
    void aRestartedControllerTakesOverTheTreeWithoutSendingAnything() throws Exception {
        BandwidthSpec both = new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT), tree(15 * MBIT, 20 * MBIT), false);
        controller.apply(both);
        String before = snapshot();
        try (BandwidthController restarted = RtnetlinkBandwidthController.open(Netns.named(ns))) {
            ApplyReport r = restarted.apply(both);
            assertTrue(r.unchanged(), r.changes().toString());
            assertEquals(0, r.driftCorrected());
            assertEquals(4, restarted.stats(device()).egress().size());
        }
        assertEquals(before, snapshot());
    }

    @Test
    void ingressIsRedirectedToOurIfb() throws Exception {
        controller.apply(new BandwidthSpec(device(), LINK, null, tree(15 * MBIT, 20 * MBIT), false));
        String filters = tc("filter", "show", "dev", "pipe0", "ingress");
        assertTrue(filters.matches("(?s).*action order 1: mirred \\(Egress Redirect to device pwifb\\d+\\) stolen.*"), filters);
        String links = sh("ip", "-n", ns, "-d", "link", "show", "type", "ifb");
        assertTrue(links.contains("pwifb") && links.contains("UP"), links);
        // an outside removal of the redirect is drift, noticed and undone
        tc("filter", "del", "dev", "pipe0", "ingress", "prio", Integer.toString(BandwidthController.INGRESS_REDIRECT_PRIO));
        ApplyReport r = controller.apply(new BandwidthSpec(device(), LINK, null, tree(15 * MBIT, 20 * MBIT), false));
        assertEquals(1, r.driftCorrected(), r.toString());
        assertTrue(tc("filter", "show", "dev", "pipe0", "ingress").contains("mirred"));
    }

    @Test
    void aDeviceThatIsNotAnIfbUnderOurIfbsNameFailsTheApplyAndIsLeftAlone() throws Exception {
        String show = sh("ip", "-n", ns, "-o", "link", "show", "dev", "pipe0");
        String ifb = RtnetlinkBandwidthController.ifbName(Integer.parseInt(show.substring(0, show.indexOf(':'))));
        sh("ip", "-n", ns, "link", "add", ifb, "type", "veth", "peer", "name", "theirs0");
        ForeignObjectException e = assertRefused(both(), "interface " + ifb + " (a veth)");
        assertTrue(e.getMessage().contains("reserved for poolwarden's IFB of pipe0"), e.getMessage());
        controller.remove(device());
        assertTrue(sh("ip", "-n", ns, "-o", "link").contains(" " + ifb + "@"), "remove left their veth alone");
    }

    static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    static Path netns(String name) {
        return Netns.named(name);
    }
}
