package org.poolwarden.tc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.Netns;
import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.link.LinkInfo;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.RtnetlinkChannel;
import org.poolwarden.tc.netlink.TcMessages;
import org.poolwarden.tc.qdisc.QdiscMessages;
import org.poolwarden.tc.qdisc.TcObject;
import org.poolwarden.testing.KernelTest;

/**
 * What our decoder reads from the kernel's class dump equals what {@code tc -s -d class show} prints for the same
 * classes. (iproute2 6.1 ignores {@code -j} for classes, so tc's text output is parsed.)
 */
@KernelTest(needs = "tc")
class KernelDumpMatchesTcTest {
    static final int ROOT = TcMessages.handle(1, 0);

    record TcClass(int handle, long rate, long ceil, long burst, long cburst, Integer quantum, int level, long bytes,
                   long packets, long drops, long overlimits, long backlogPackets) {
    }

    @Test
    void decodedClassesAndStatisticsEqualTcsView() throws Exception {
        Psched p = Psched.system();
        Object[] result = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                Links links = new Links(ch);
                LinkInfo lo = links.require("lo");
                links.setUp(lo, true);
                int i = lo.index();
                var w = ch.begin();
                QdiscMessages.writeHtbQdisc(w, TcMessages.ADD, ch.nextSeq(), i, ROOT, Rtnl.TC_H_ROOT, 10, 0x20);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), i, TcMessages.handle(1, 1), ROOT,
                        HtbClassOptions.of(5_000_000, 5_000_000), 10, p);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), i, TcMessages.handle(1, 0x10),
                        TcMessages.handle(1, 1), HtbClassOptions.of(3_750_000, 5_000_000), 10, p);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), i, TcMessages.handle(1, 0x20),
                        TcMessages.handle(1, 1), HtbClassOptions.of(125_000, 5_000_000), 10, p);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), i, TcMessages.handle(1, 3), ROOT,
                        HtbClassOptions.of(5_000_000_000L, 6_250_000_000L), 10, p);
                QdiscMessages.writePfifoQdisc(w, TcMessages.ADD, ch.nextSeq(), i, TcMessages.handle(0x20, 0),
                        TcMessages.handle(1, 0x20), 10);
                ch.execute("tree on lo");
                // traffic into the default class 1:20, with a short queue so some of it is dropped
                try (DatagramSocket s = new DatagramSocket()) {
                    byte[] payload = new byte[1200];
                    for (int n = 0; n < 300; n++) {
                        s.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), 9));
                    }
                }
                Thread.sleep(300);
                List<TcObject> ours = new ArrayList<>();
                QdiscMessages.writeDumpClasses(ch.begin(), ch.nextSeq(), i);
                TcObject.Scratch scratch = new TcObject.Scratch();
                ch.dump("classes on lo", m -> ours.add(TcObject.decode(m, scratch)));
                Process tc = new ProcessBuilder("tc", "-s", "-d", "class", "show", "dev", "lo").redirectErrorStream(true).start();
                String text = new String(tc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, tc.waitFor(), text);
                return new Object[] {ours, text};
            }
        });
        @SuppressWarnings("unchecked")
        List<TcObject> ours = (List<TcObject>) result[0];
        Map<Integer, TcClass> theirs = parse((String) result[1]);
        assertEquals(4, ours.size());
        assertEquals(theirs.keySet().size(), ours.size(), result[1].toString());
        boolean sawTraffic = false;
        for (TcObject o : ours) {
            TcClass t = theirs.get(o.handle());
            assertNotNull(t, "tc shows class " + TcMessages.format(o.handle()));
            assertEquals("htb", o.kind());
            assertEquals(t.rate(), o.htb().rate(), "rate of " + TcMessages.format(o.handle()));
            assertEquals(t.ceil(), o.htb().ceil(), "ceil");
            assertEquals(t.level(), o.htb().level(), "level");
            if (t.quantum() != null) {
                assertEquals(t.quantum().intValue(), o.htb().quantum(), "quantum");
            }
            // tc prints bursts from whole microseconds (so 0 at 40 Gbit); compare like for like
            assertSize(t.burst(), HtbArithmetic.iprouteXmitSize(o.htb().rate(), o.htb().bufferTicks(), p), "burst");
            assertSize(t.cburst(), HtbArithmetic.iprouteXmitSize(o.htb().ceil(), o.htb().cbufferTicks(), p), "cburst");
            assertTrue(o.htb().bufferTicks() > 0 && o.htb().cbufferTicks() > 0, "no zero bursts in the kernel");
            assertEquals(t.bytes(), o.stats().bytes(), "bytes");
            assertEquals(t.packets(), o.stats().packets(), "packets");
            assertEquals(t.drops(), o.stats().drops(), "drops");
            assertEquals(t.overlimits(), o.stats().overlimits(), "overlimits");
            assertEquals(t.backlogPackets(), o.stats().qlen(), "backlog packets");
            sawTraffic |= o.stats().packets() > 0;
        }
        assertTrue(sawTraffic, "the default class counted the UDP burst");
    }

    /** tc prints sizes rounded to Kb/Mb; equal within that rounding. */
    static void assertSize(long tcBytes, long ourBytes, String what) {
        long tolerance = tcBytes >= 1024 * 1024 ? 1024 : tcBytes >= 1024 ? 16 : 0;
        assertTrue(Math.abs(tcBytes - ourBytes) <= tolerance, what + ": tc " + tcBytes + " vs ours " + ourBytes);
    }

    static final Pattern HEAD = Pattern.compile("^class htb (\\S+) .*?(?:quantum (\\d+) )?rate (\\S+) ceil (\\S+) "
            + ".*?burst (\\S+)/\\d+ .*?cburst (\\S+)/\\d+ .*?level (\\d+)");
    static final Pattern SENT = Pattern.compile("Sent (\\d+) bytes (\\d+) pkt \\(dropped (\\d+), overlimits (\\d+)");
    static final Pattern BACKLOG = Pattern.compile("backlog \\S+ (\\d+)p");

    static Map<Integer, TcClass> parse(String text) {
        Map<Integer, TcClass> out = new HashMap<>();
        for (String block : text.split("\n(?=class )")) {
            Matcher h = HEAD.matcher(block);
            if (!h.find()) {
                continue;
            }
            Matcher s = SENT.matcher(block);
            Matcher b = BACKLOG.matcher(block);
            assertTrue(s.find() && b.find(), block);
            String[] id = h.group(1).split(":");
            int handle = TcMessages.handle(Integer.parseInt(id[0], 16), Integer.parseInt(id[1], 16));
            out.put(handle, new TcClass(handle, rate(h.group(3)), rate(h.group(4)), size(h.group(5)), size(h.group(6)),
                    h.group(2) == null ? null : Integer.valueOf(h.group(2)), Integer.parseInt(h.group(7)),
                    Long.parseLong(s.group(1)), Long.parseLong(s.group(2)), Long.parseLong(s.group(3)),
                    Long.parseLong(s.group(4)), Long.parseLong(b.group(1))));
        }
        return out;
    }

    /** "40Mbit" -> bytes per second. */
    static long rate(String s) {
        Matcher m = Pattern.compile("(\\d+)([KMGT]?)bit").matcher(s);
        assertTrue(m.matches(), s);
        long bits = Long.parseLong(m.group(1));
        bits *= switch (m.group(2)) {
            case "K" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
        return bits / 8;
    }

    /** "1600b", "15Kb", "2Mb" -> bytes. */
    static long size(String s) {
        Matcher m = Pattern.compile("(\\d+)(Kb|Mb|b)").matcher(s);
        assertTrue(m.matches(), s);
        long v = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "Kb" -> v * 1024;
            case "Mb" -> v * 1024 * 1024;
            default -> v;
        };
    }
}
