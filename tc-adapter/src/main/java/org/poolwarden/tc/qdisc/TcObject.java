package org.poolwarden.tc.qdisc;

import org.poolwarden.tc.htb.HtbCodec;
import org.poolwarden.tc.netlink.Attributes;
import org.poolwarden.tc.netlink.NetlinkMessage;
import org.poolwarden.tc.netlink.Rtnl;

/**
 * A qdisc or class as the kernel dumps it (RTM_NEWQDISC / RTM_NEWTCLASS): identity, kind, HTB parameters when it
 * is an HTB class, and its statistics from TCA_STATS2.
 */
public record TcObject(int ifindex, int handle, int parent, String kind, HtbCodec.ClassParams htb, int[] htbQdisc,
                       Stats stats, Integer pfifoLimit) {
    /** gnet_stats_basic + gnet_stats_queue. Counters are cumulative since the object was created. */
    public record Stats(long bytes, long packets, long drops, long overlimits, long requeues, long backlogBytes,
                        long qlen) {
        public static final Stats ZERO = new Stats(0, 0, 0, 0, 0, 0, 0);
    }

    /** Decoding scratch space, reusable across messages of one dump. */
    public static final class Scratch {
        final Attributes top = new Attributes(16);
        final Attributes stats = new Attributes(10);
        final Attributes options = new Attributes(HtbCodec.TCA_HTB_MAX);
    }

    public static TcObject decode(NetlinkMessage m, Scratch s) {
        Attributes a = m.attributes(Rtnl.TCMSG_LEN, s.top);
        String kind = a.string(Rtnl.TCA_KIND);
        HtbCodec.ClassParams htb = null;
        int[] htbQdisc = null;
        Integer limit = null;
        int optFrom = a.offset(Rtnl.TCA_OPTIONS);
        int optTo = a.end(Rtnl.TCA_OPTIONS);
        Stats stats = Stats.ZERO;
        if (a.has(Rtnl.TCA_STATS2)) {
            stats = decodeStats(m, a.offset(Rtnl.TCA_STATS2), a.end(Rtnl.TCA_STATS2), s.stats);
        }
        if (optFrom >= 0 && HtbCodec.KIND.equals(kind)) {
            if (m.type() == Rtnl.RTM_NEWTCLASS) {
                htb = HtbCodec.decodeClass(m.buffer(), optFrom, optTo, s.options);
            } else {
                htbQdisc = HtbCodec.decodeQdisc(m.buffer(), optFrom, optTo, s.options);
            }
        } else if (optFrom >= 0 && QdiscMessages.PFIFO.equals(kind) && optTo - optFrom >= 4) {
            limit = m.buffer().getInt(optFrom);
        }
        return new TcObject(m.tcIfindex(), m.tcHandle(), m.tcParent(), kind, htb, htbQdisc, stats, limit);
    }

    static Stats decodeStats(NetlinkMessage m, int from, int to, Attributes st) {
        var b = m.buffer();
        st.parse(b, from, to);
        long bytes = 0;
        long packets = 0;
        if (st.has(Rtnl.TCA_STATS_BASIC)) {
            st.require(Rtnl.TCA_STATS_BASIC, 12);
            int o = st.offset(Rtnl.TCA_STATS_BASIC);
            bytes = b.getLong(o);
            packets = Integer.toUnsignedLong(b.getInt(o + 8));
        }
        packets = st.u64(Rtnl.TCA_STATS_PKT64, packets);
        long qlen = 0;
        long backlog = 0;
        long drops = 0;
        long requeues = 0;
        long overlimits = 0;
        if (st.has(Rtnl.TCA_STATS_QUEUE)) {
            st.require(Rtnl.TCA_STATS_QUEUE, 20);
            int o = st.offset(Rtnl.TCA_STATS_QUEUE);
            qlen = Integer.toUnsignedLong(b.getInt(o));
            backlog = Integer.toUnsignedLong(b.getInt(o + 4));
            drops = Integer.toUnsignedLong(b.getInt(o + 8));
            requeues = Integer.toUnsignedLong(b.getInt(o + 12));
            overlimits = Integer.toUnsignedLong(b.getInt(o + 16));
        }
        return new Stats(bytes, packets, drops, overlimits, requeues, backlog, qlen);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcObject t && t.ifindex == ifindex && t.handle == handle && t.parent == parent
                && java.util.Objects.equals(t.kind, kind) && java.util.Objects.equals(t.htb, htb)
                && java.util.Arrays.equals(t.htbQdisc, htbQdisc) && java.util.Objects.equals(t.stats, stats)
                && java.util.Objects.equals(t.pfifoLimit, pfifoLimit);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(ifindex, handle, parent, kind, htb, stats, pfifoLimit)
                + java.util.Arrays.hashCode(htbQdisc);
    }
}
