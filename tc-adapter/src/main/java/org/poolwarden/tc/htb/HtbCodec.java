package org.poolwarden.tc.htb;

import java.nio.ByteBuffer;

import org.poolwarden.tc.netlink.Attributes;
import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;

/** HTB's TCA_OPTIONS, for the qdisc (TCA_HTB_INIT) and for classes (TCA_HTB_PARMS and friends), both ways. */
public final class HtbCodec {
    public static final String KIND = "htb";
    public static final int TCA_HTB_PARMS = 1;
    public static final int TCA_HTB_INIT = 2;
    public static final int TCA_HTB_CTAB = 3;
    public static final int TCA_HTB_RTAB = 4;
    public static final int TCA_HTB_DIRECT_QLEN = 5;
    public static final int TCA_HTB_RATE64 = 6;
    public static final int TCA_HTB_CEIL64 = 7;
    public static final int TCA_HTB_MAX = 9;
    /** TC_HTB_PROTOVER. */
    public static final int VERSION = 3;
    /** tc_htb_glob: version, rate2quantum, defcls, debug, direct_pkts. */
    public static final int GLOB_LEN = 20;
    /** tc_htb_opt: two tc_ratespec (12 each), buffer, cbuffer, quantum, level, prio. */
    public static final int OPT_LEN = 44;
    static final int LINKLAYER_ETHERNET = 1;

    private HtbCodec() {
    }

    /** TCA_OPTIONS of an HTB qdisc: r2q, default class minor; direct_qlen when not negative. */
    public static void writeQdiscOptions(NetlinkWriter w, int r2q, int defaultMinor, int directQlen) {
        int nest = w.beginNested(Rtnl.TCA_OPTIONS);
        int a = w.beginAttribute(TCA_HTB_INIT);
        w.buffer().putInt(VERSION).putInt(r2q).putInt(defaultMinor).putInt(0).putInt(0);
        w.endNested(a);
        if (directQlen >= 0) {
            w.u32(TCA_HTB_DIRECT_QLEN, directQlen);
        }
        w.endNested(nest);
    }

    /** TCA_OPTIONS of an HTB class, byte for byte what iproute2 writes (plus our explicit quantum). */
    public static void writeClassOptions(NetlinkWriter w, HtbClassOptions o, int r2q, Psched p) {
        writeClassOptions(w, o, r2q, p, true);
    }

    /**
     * As above; without the rate tables when {@code rateTables} is false. The kernel ignores RTAB/CTAB when the
     * ratespec names a link layer (we always say Ethernet), and leaving them out makes a class message 2 KiB
     * shorter, which matters when a whole tree goes in one datagram.
     */
    public static void writeClassOptions(NetlinkWriter w, HtbClassOptions o, int r2q, Psched p, boolean rateTables) {
        long buffer = HtbArithmetic.burstTicks(o.rate(), o.effectiveBurst(p), p);
        long cbuffer = HtbArithmetic.burstTicks(o.ceil(), o.effectiveCburst(p), p);
        int nest = w.beginNested(Rtnl.TCA_OPTIONS);
        if (HtbArithmetic.needsRate64(o.rate())) {
            w.u64(TCA_HTB_RATE64, o.rate());
        }
        if (HtbArithmetic.needsRate64(o.ceil())) {
            w.u64(TCA_HTB_CEIL64, o.ceil());
        }
        int cellLog = HtbArithmetic.cellLog(o.mtu());
        int a = w.beginAttribute(TCA_HTB_PARMS);
        ByteBuffer b = w.buffer();
        ratespec(b, cellLog, HtbArithmetic.rate32(o.rate()));
        ratespec(b, cellLog, HtbArithmetic.rate32(o.ceil()));
        b.putInt((int) buffer).putInt((int) cbuffer).putInt(o.effectiveQuantum(r2q)).putInt(0).putInt(o.prio());
        w.endNested(a);
        if (rateTables) {
            table(w, TCA_HTB_RTAB, HtbArithmetic.rateTable(o.rate(), o.mtu(), 0, p));
            table(w, TCA_HTB_CTAB, HtbArithmetic.rateTable(o.ceil(), o.mtu(), 0, p));
        }
        w.endNested(nest);
    }

    private static void ratespec(ByteBuffer b, int cellLog, int rate32) {
        b.put((byte) cellLog).put((byte) LINKLAYER_ETHERNET).putShort((short) 0).putShort((short) -1).putShort((short) 0)
                .putInt(rate32);
    }

    private static void table(NetlinkWriter w, int type, int[] table) {
        int a = w.beginAttribute(type);
        for (int v : table) {
            w.buffer().putInt(v);
        }
        w.endNested(a);
    }

    /** What the kernel reports for an HTB class (from TCA_OPTIONS of an RTM_NEWTCLASS dump message). */
    public record ClassParams(long rate, long ceil, long bufferTicks, long cbufferTicks, int quantum, int level,
                              int prio) {
        public long burstBytes(Psched p) {
            return HtbArithmetic.xmitSize(rate, bufferTicks, p);
        }

        public long cburstBytes(Psched p) {
            return HtbArithmetic.xmitSize(ceil, cbufferTicks, p);
        }
    }

    /** Decodes the class options nest {@code [from, to)}; null when it carries no TCA_HTB_PARMS. */
    public static ClassParams decodeClass(ByteBuffer buf, int from, int to, Attributes scratch) {
        Attributes a = scratch.parse(buf, from, to);
        if (!a.has(TCA_HTB_PARMS)) {
            return null;
        }
        a.require(TCA_HTB_PARMS, OPT_LEN);
        int o = a.offset(TCA_HTB_PARMS);
        long rate = Integer.toUnsignedLong(buf.getInt(o + 8));
        long ceil = Integer.toUnsignedLong(buf.getInt(o + 20));
        rate = a.u64(TCA_HTB_RATE64, rate);
        ceil = a.u64(TCA_HTB_CEIL64, ceil);
        return new ClassParams(rate, ceil, Integer.toUnsignedLong(buf.getInt(o + 24)),
                Integer.toUnsignedLong(buf.getInt(o + 28)), buf.getInt(o + 32), buf.getInt(o + 36), buf.getInt(o + 40));
    }

    /** The qdisc's r2q and default class minor, from TCA_HTB_INIT; null when absent. */
    public static int[] decodeQdisc(ByteBuffer buf, int from, int to, Attributes scratch) {
        Attributes a = scratch.parse(buf, from, to);
        if (!a.has(TCA_HTB_INIT)) {
            return null;
        }
        a.require(TCA_HTB_INIT, GLOB_LEN);
        int o = a.offset(TCA_HTB_INIT);
        return new int[] {buf.getInt(o + 4), buf.getInt(o + 8)};
    }
}
