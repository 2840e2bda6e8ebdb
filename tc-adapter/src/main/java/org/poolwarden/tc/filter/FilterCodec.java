package org.poolwarden.tc.filter;

import java.nio.ByteBuffer;

import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.TcMessages;

/** TCA_OPTIONS of the classifiers we use (u32, classic-BPF cls_bpf) and the mirred redirect action. */
public final class FilterCodec {
    public static final String U32 = "u32";
    public static final String BPF = "bpf";
    public static final String MIRRED = "mirred";

    static final int TCA_U32_CLASSID = 1;
    static final int TCA_U32_SEL = 5;
    static final int TCA_U32_ACT = 7;
    static final int TC_U32_TERMINAL = 1;

    static final int TCA_BPF_CLASSID = 3;
    static final int TCA_BPF_OPS_LEN = 4;
    static final int TCA_BPF_OPS = 5;

    static final int TCA_ACT_KIND = 1;
    static final int TCA_ACT_OPTIONS = 2;
    static final int TCA_MIRRED_PARMS = 2;
    static final int TC_ACT_STOLEN = 4;
    static final int TCA_EGRESS_REDIR = 1;

    private FilterCodec() {
    }

    /**
     * A complete RTM_NEWTFILTER for u32: {@code classId} (0: none) makes it terminal and classifying;
     * {@code redirectIfindex} (0: none) adds "action mirred egress redirect dev ...".
     */
    public static void writeU32(NetlinkWriter w, int flags, int seq, int ifindex, int parent, int prio, int protocol,
                                U32Selector sel, int classId, int redirectIfindex) {
        writeU32(w, flags, seq, ifindex, parent, prio, protocol, 0, sel, classId, redirectIfindex);
    }

    /**
     * As above with a chosen u32 {@code handle} (0: the kernel picks one). A handle with only the node id set
     * ("::1") lands in the priority's own hash table, whichever table id the kernel gave it.
     */
    public static void writeU32(NetlinkWriter w, int flags, int seq, int ifindex, int parent, int prio, int protocol,
                                int handle, U32Selector sel, int classId, int redirectIfindex) {
        TcMessages.begin(w, Rtnl.RTM_NEWTFILTER, flags, seq, ifindex, handle, parent, TcMessages.filterInfo(prio, protocol),
                U32);
        int opts = w.beginNested(Rtnl.TCA_OPTIONS);
        if (classId != 0) {
            w.u32(TCA_U32_CLASSID, classId);
        }
        if (redirectIfindex != 0) {
            writeMirredRedirect(w, TCA_U32_ACT, redirectIfindex);
        }
        int a = w.beginAttribute(TCA_U32_SEL);
        ByteBuffer b = w.buffer();
        var keys = sel.keys();
        // tc_u32_sel: flags, offshift, nkeys, pad, offmask(be16), off, offoff, hoff, hmask(be32)
        // iproute2 makes the selector terminal when it classifies or acts
        b.put((byte) (classId != 0 || redirectIfindex != 0 ? TC_U32_TERMINAL : 0)).put((byte) 0).put((byte) keys.size()).put((byte) 0);
        b.putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0);
        for (U32Selector.Key k : keys) {
            b.putInt(Integer.reverseBytes(k.mask())).putInt(Integer.reverseBytes(k.value())).putInt(k.off()).putInt(0);
        }
        w.endNested(a);
        w.endNested(opts);
        w.endMessage();
    }

    /** A complete RTM_NEWTFILTER for cls_bpf running a classic BPF program, with a default class id. */
    public static void writeClassicBpf(NetlinkWriter w, int flags, int seq, int ifindex, int parent, int prio,
                                       int protocol, long[] program, int classId) {
        TcMessages.begin(w, Rtnl.RTM_NEWTFILTER, flags, seq, ifindex, 0, parent, TcMessages.filterInfo(prio, protocol), BPF);
        int opts = w.beginNested(Rtnl.TCA_OPTIONS);
        if (classId != 0) {
            w.u32(TCA_BPF_CLASSID, classId);
        }
        w.u16(TCA_BPF_OPS_LEN, program.length);
        int a = w.beginAttribute(TCA_BPF_OPS);
        for (long insn : program) {
            // struct sock_filter: u16 code, u8 jt, u8 jf, u32 k; packed here as code<<48 | jt<<40 | jf<<32 | k
            w.buffer().putShort((short) (insn >>> 48)).put((byte) (insn >>> 40)).put((byte) (insn >>> 32)).putInt((int) insn);
        }
        w.endNested(a);
        w.endNested(opts);
        w.endMessage();
    }

    /** One classic BPF instruction, packed for {@link #writeClassicBpf}. */
    public static long insn(int code, int jt, int jf, int k) {
        return ((long) (code & 0xffff) << 48) | ((long) (jt & 0xff) << 40) | ((long) (jf & 0xff) << 32)
                | Integer.toUnsignedLong(k);
    }

    /** "ret #-1": accept every packet into the filter's class id. */
    public static long[] acceptAll() {
        return new long[] {insn(0x06, 0, 0, -1)};
    }

    /** An action list with one "mirred egress redirect dev IFINDEX", under attribute {@code listType}. */
    public static void writeMirredRedirect(NetlinkWriter w, int listType, int ifindex) {
        int list = w.beginNested(listType);
        int act = w.beginNested(1);
        w.string(TCA_ACT_KIND, MIRRED);
        int opts = w.beginNested(TCA_ACT_OPTIONS | Rtnl.NLA_F_NESTED);
        int p = w.beginAttribute(TCA_MIRRED_PARMS);
        // struct tc_mirred: index, capab, action, refcnt, bindcnt, eaction, ifindex
        w.buffer().putInt(0).putInt(0).putInt(TC_ACT_STOLEN).putInt(0).putInt(0).putInt(TCA_EGRESS_REDIR).putInt(ifindex);
        w.endNested(p);
        w.endNested(opts);
        w.endNested(act);
        w.endNested(list);
    }

    /** RTM_DELTFILTER of every filter at {@code prio} under {@code parent}. */
    public static void writeDelete(NetlinkWriter w, int seq, int ifindex, int parent, int prio, int protocol) {
        writeDelete(w, seq, ifindex, parent, prio, protocol, 0);
    }

    /** RTM_DELTFILTER of the one filter {@code handle} at {@code prio} (0: all of them). */
    public static void writeDelete(NetlinkWriter w, int seq, int ifindex, int parent, int prio, int protocol, int handle) {
        TcMessages.begin(w, Rtnl.RTM_DELTFILTER, TcMessages.DELETE, seq, ifindex, handle, parent,
                TcMessages.filterInfo(prio, protocol), null);
        w.endMessage();
    }
}
