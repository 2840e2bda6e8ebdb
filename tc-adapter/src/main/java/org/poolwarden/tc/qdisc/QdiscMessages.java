package org.poolwarden.tc.qdisc;

import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.HtbCodec;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.TcMessages;

/** Complete qdisc and class messages, each equal to what the corresponding {@code tc} command sends. */
public final class QdiscMessages {
    public static final String INGRESS = "ingress";
    public static final String PFIFO = "pfifo";
    /** The ingress qdisc's fixed handle, ffff:. */
    public static final int INGRESS_HANDLE = 0xFFFF0000;

    private QdiscMessages() {
    }

    /** "tc qdisc add|replace dev D parent P handle H htb r2q R default M". */
    public static void writeHtbQdisc(NetlinkWriter w, int flags, int seq, int ifindex, int handle, int parent, int r2q,
                                     int defaultMinor) {
        TcMessages.begin(w, Rtnl.RTM_NEWQDISC, flags, seq, ifindex, handle, parent, 0, HtbCodec.KIND);
        HtbCodec.writeQdiscOptions(w, r2q, defaultMinor, -1);
        w.endMessage();
    }

    /** "tc qdisc add dev D ingress". */
    public static void writeIngressQdisc(NetlinkWriter w, int flags, int seq, int ifindex) {
        TcMessages.begin(w, Rtnl.RTM_NEWQDISC, flags, seq, ifindex, INGRESS_HANDLE, Rtnl.TC_H_INGRESS, 0, INGRESS);
        w.endMessage();
    }

    /** "tc qdisc add|replace dev D parent P handle H pfifo limit N": a short leaf queue. */
    public static void writePfifoQdisc(NetlinkWriter w, int flags, int seq, int ifindex, int handle, int parent,
                                       int limit) {
        TcMessages.begin(w, Rtnl.RTM_NEWQDISC, flags, seq, ifindex, handle, parent, 0, PFIFO);
        w.u32(Rtnl.TCA_OPTIONS, limit);
        w.endMessage();
    }

    /** "tc qdisc del dev D parent P handle H". */
    public static void writeDeleteQdisc(NetlinkWriter w, int seq, int ifindex, int handle, int parent) {
        TcMessages.begin(w, Rtnl.RTM_DELQDISC, TcMessages.DELETE, seq, ifindex, handle, parent, 0, null);
        w.endMessage();
    }

    /** "tc class add|change|replace dev D parent P classid C htb rate .. ceil .. quantum ..". */
    public static void writeHtbClass(NetlinkWriter w, int flags, int seq, int ifindex, int classId, int parent,
                                     HtbClassOptions o, int r2q, Psched p) {
        writeHtbClass(w, flags, seq, ifindex, classId, parent, o, r2q, p, true);
    }

    /** As above; {@code rateTables} false leaves out RTAB/CTAB (see {@link HtbCodec#writeClassOptions}). */
    public static void writeHtbClass(NetlinkWriter w, int flags, int seq, int ifindex, int classId, int parent,
                                     HtbClassOptions o, int r2q, Psched p, boolean rateTables) {
        TcMessages.begin(w, Rtnl.RTM_NEWTCLASS, flags, seq, ifindex, classId, parent, 0, HtbCodec.KIND);
        HtbCodec.writeClassOptions(w, o, r2q, p, rateTables);
        w.endMessage();
    }

    /** "tc class del dev D classid C". */
    public static void writeDeleteClass(NetlinkWriter w, int seq, int ifindex, int classId, int parent) {
        TcMessages.begin(w, Rtnl.RTM_DELTCLASS, TcMessages.DELETE, seq, ifindex, classId, parent, 0, null);
        w.endMessage();
    }

    /** "tc class show dev D": a dump of every class on the device. */
    public static void writeDumpClasses(NetlinkWriter w, int seq, int ifindex) {
        TcMessages.begin(w, Rtnl.RTM_GETTCLASS, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq, ifindex, 0, 0, 0, null);
        w.endMessage();
    }

    /** "tc qdisc show dev D". */
    public static void writeDumpQdiscs(NetlinkWriter w, int seq, int ifindex) {
        TcMessages.begin(w, Rtnl.RTM_GETQDISC, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq, ifindex, 0, 0, 0, null);
        w.endMessage();
    }

    /** "tc filter show dev D parent P". */
    public static void writeDumpFilters(NetlinkWriter w, int seq, int ifindex, int parent) {
        TcMessages.begin(w, Rtnl.RTM_GETTFILTER, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq, ifindex, 0, parent, 0, null);
        w.endMessage();
    }
}
