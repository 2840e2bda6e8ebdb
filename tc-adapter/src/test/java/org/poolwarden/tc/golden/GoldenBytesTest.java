package org.poolwarden.tc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.poolwarden.tc.filter.FilterCodec;
import org.poolwarden.tc.filter.U32Selector;
import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.TcMessages;
import org.poolwarden.tc.qdisc.QdiscMessages;

/**
 * Our codec's bytes against what iproute2's {@code tc} sent for the same command (captured with strace, see
 * src/test/golden/capture.sh). Sequence numbers and port ids are normalised; everything else must be identical,
 * except where we deliberately differ (the 40 Gbit burst, see {@link HtbArithmetic}).
 */
class GoldenBytesTest {
    static final Psched PSCHED = Psched.parse(Golden.psched());
    static final int LO = 1;
    static final int IFB = 2;
    static final int R2Q = 10;

    static int h(int major, int minor) {
        return TcMessages.handle(major, minor);
    }

    static HtbClassOptions htb(long rateBits, long ceilBits) {
        return HtbClassOptions.of(rateBits / 8, ceilBits / 8);
    }

    static Arguments c(String name, Consumer<NetlinkWriter> encode) {
        return Arguments.of(name, encode);
    }

    static Stream<Arguments> exactCases() {
        return Stream.of(
                c("qdisc_htb_add", w -> QdiscMessages.writeHtbQdisc(w, TcMessages.ADD, 1, LO, h(1, 0), Rtnl.TC_H_ROOT, R2Q, 0x10)),
                c("qdisc_htb_replace", w -> QdiscMessages.writeHtbQdisc(w, TcMessages.REPLACE, 1, IFB, h(1, 0), Rtnl.TC_H_ROOT, R2Q, 0xffff)),
                // quantum is ours (rate/r2q clamped); the tc command was given the same value explicitly
                c("class_root_40mbit", w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO, h(1, 1), h(1, 0), htb(40_000_000, 40_000_000), R2Q, PSCHED)),
                c("class_1mbit", w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO, h(1, 2), h(1, 1), htb(1_000_000, 1_000_000), R2Q, PSCHED)),
                c("class_30_40mbit", w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO, h(1, 0x10), h(1, 1), htb(30_000_000, 40_000_000), R2Q, PSCHED)),
                c("class_change", w -> QdiscMessages.writeHtbClass(w, TcMessages.CHANGE, 1, LO, h(1, 0x10), h(1, 1), htb(20_000_000, 40_000_000), R2Q, PSCHED)),
                c("class_replace", w -> QdiscMessages.writeHtbClass(w, TcMessages.TC_CLASS_REPLACE, 1, LO, h(1, 0x10), h(1, 1), htb(25_000_000, 30_000_000), R2Q, PSCHED)),
                c("class_1gbit_bursts", w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO, h(1, 0x11), h(1, 1),
                        new HtbClassOptions(125_000_000, 1_250_000_000, 15 * 1024, 30 * 1024, 0, 1, HtbArithmetic.DEFAULT_MTU), R2Q, PSCHED)),
                c("class_min_rate", w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO, h(1, 0x12), h(1, 1), htb(8_000, 16_000), R2Q, PSCHED)),
                c("class_del", w -> QdiscMessages.writeDeleteClass(w, 1, LO, h(1, 0x10), h(1, 1))),
                c("pfifo_add", w -> QdiscMessages.writePfifoQdisc(w, TcMessages.ADD, 1, LO, h(2, 0), h(1, 2), 20)),
                c("pfifo_replace", w -> QdiscMessages.writePfifoQdisc(w, TcMessages.REPLACE, 1, LO, h(2, 0), h(1, 2), 5)),
                c("ingress_add", w -> QdiscMessages.writeIngressQdisc(w, TcMessages.ADD, 1, LO)),
                c("u32_dst_dport", w -> FilterCodec.writeU32(w, TcMessages.ADD, 1, LO, h(1, 0), 1, Rtnl.ETH_P_IP,
                        U32Selector.create().protocol(6).dst(ip("10.77.0.2"), 32).dport(5201, 0xffff), h(1, 0x10), 0)),
                c("u32_src_sport", w -> FilterCodec.writeU32(w, TcMessages.ADD, 1, LO, h(1, 0), 3, Rtnl.ETH_P_IP,
                        U32Selector.create().src(ip("10.77.0.0"), 24).sport(5202, 0xffff), h(1, 2), 0)),
                c("bpf_accept_all", w -> FilterCodec.writeClassicBpf(w, TcMessages.ADD, 1, LO, h(1, 0), 2, Rtnl.ETH_P_ALL,
                        FilterCodec.acceptAll(), h(1, 0x10))),
                c("mirred_to_ifb", w -> FilterCodec.writeU32(w, TcMessages.ADD, 1, LO, QdiscMessages.INGRESS_HANDLE, 1,
                        Rtnl.ETH_P_ALL, U32Selector.matchAll(), 0, IFB)),
                c("filter_del", w -> FilterCodec.writeDelete(w, 1, LO, h(1, 0), 3, Rtnl.ETH_P_IP)),
                c("qdisc_del_pfifo", w -> QdiscMessages.writeDeleteQdisc(w, 1, LO, h(2, 0), h(1, 2))),
                c("qdisc_del_root", w -> QdiscMessages.writeDeleteQdisc(w, 1, LO, 0, Rtnl.TC_H_ROOT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exactCases")
    void bytesEqualWhatTcSends(String name, Consumer<NetlinkWriter> encode) {
        Golden g = Golden.load(name);
        assertEquals(1, g.messages().size(), "one traffic-control message per command: " + g.command());
        byte[] ours = Golden.normalise(encode(encode));
        byte[] theirs = Golden.normalise(g.messages().get(0));
        int diff = java.util.Arrays.mismatch(theirs, ours);
        if (diff >= 0) {
            int from = Math.max(0, diff - 8);
            HexFormat hex = HexFormat.ofDelimiter(" ");
            fail(g.command() + ": first difference at byte " + diff + " (of " + theirs.length + " / " + ours.length
                    + "): tc " + hex.formatHex(theirs, from, Math.min(theirs.length, diff + 16)) + " | ours "
                    + hex.formatHex(ours, from, Math.min(ours.length, diff + 16)));
        }
        assertEquals(theirs.length, ours.length);
    }

    /** Offsets of tc_htb_opt.buffer and .cbuffer in a class message: header, tcmsg, kind, nest, 64-bit attrs, PARMS. */
    static int parmsOffset(byte[] msg) {
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
        int pos = Rtnl.NLMSG_HDRLEN + Rtnl.TCMSG_LEN + 8 + 4; // first attribute inside TCA_OPTIONS
        while (b.getShort(pos + 2) != 1 /* TCA_HTB_PARMS */) {
            pos += Rtnl.align(b.getShort(pos));
        }
        return pos + 4;
    }

    @Test
    void fortyGigabitDiffersOnlyInTheBurstWhichTcTruncatesToZero() {
        for (String name : new String[] {"class_40gbit", "class_5gbit_ceil40g"}) {
            Golden g = Golden.load(name);
            long rate = name.equals("class_40gbit") ? 5_000_000_000L : 625_000_000L;
            byte[] ours = Golden.normalise(encode(w -> QdiscMessages.writeHtbClass(w, TcMessages.ADD, 1, LO,
                    h(1, name.equals("class_40gbit") ? 3 : 4), h(1, 0), HtbClassOptions.of(rate, 5_000_000_000L), R2Q, PSCHED)));
            byte[] theirs = Golden.normalise(g.messages().get(0));
            assertEquals(theirs.length, ours.length);
            int parms = parmsOffset(theirs);
            ByteBuffer t = ByteBuffer.wrap(theirs).order(ByteOrder.nativeOrder());
            ByteBuffer o = ByteBuffer.wrap(ours).order(ByteOrder.nativeOrder());
            assertEquals(0, t.getInt(parms + 28), "tc's cbuffer at 40 Gbit is 0 ticks: " + g.command());
            assertTrue(o.getInt(parms + 28) > 0, "ours is not");
            // one MTU-sized burst at 40 Gbit: 1605 bytes = 321 ns = 6 ticks of 64 ns, rounded up
            assertEquals(6, o.getInt(parms + 28));
            // everything else identical
            for (int i = 0; i < theirs.length; i++) {
                boolean burstField = (i >= parms + 24 && i < parms + 32);
                if (!burstField) {
                    assertEquals(theirs[i], ours[i], name + ": byte " + i + " differs");
                }
            }
            if (name.equals("class_5gbit_ceil40g")) {
                assertEquals(t.getInt(parms + 24), o.getInt(parms + 24), "5 Gbit burst is non-zero in tc: same as ours");
            }
        }
    }

    static byte[] encode(Consumer<NetlinkWriter> encode) {
        ByteBuffer b = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());
        encode.accept(new NetlinkWriter(b));
        byte[] out = new byte[b.position()];
        b.get(0, out);
        return out;
    }

    static Inet4Address ip(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }
}
