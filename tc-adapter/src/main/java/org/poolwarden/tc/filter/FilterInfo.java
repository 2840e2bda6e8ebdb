package org.poolwarden.tc.filter;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.poolwarden.tc.netlink.Attributes;
import org.poolwarden.tc.netlink.NetlinkMessage;
import org.poolwarden.tc.netlink.Rtnl;

/**
 * A filter as the kernel dumps it (RTM_NEWTFILTER). For u32, {@code node} is true for a rule (it has a selector),
 * false for the hash-table entries u32 also dumps. {@code redirectIfindex} is the mirred target, or 0.
 */
public record FilterInfo(int prio, int protocol, int handle, String kind, boolean node, List<U32Selector.Key> keys,
                         int classId, int redirectIfindex) {
    public FilterInfo {
        keys = List.copyOf(keys);
    }

    /** Decoding scratch, reusable across the messages of one dump. */
    public static final class Scratch {
        final Attributes top = new Attributes(16);
        final Attributes options = new Attributes(16);
        final Attributes actions = new Attributes(32);
        final Attributes action = new Attributes(16);
        final Attributes actionOptions = new Attributes(8);
    }

    public static FilterInfo decode(NetlinkMessage m, Scratch s) {
        Attributes a = m.attributes(Rtnl.TCMSG_LEN, s.top);
        String kind = a.string(Rtnl.TCA_KIND);
        int info = m.tcInfo();
        int prio = info >>> 16;
        int protocol = Short.toUnsignedInt(Short.reverseBytes((short) info));
        List<U32Selector.Key> keys = new ArrayList<>();
        int classId = 0;
        int redirect = 0;
        boolean node = false;
        if (FilterCodec.U32.equals(kind) && a.has(Rtnl.TCA_OPTIONS)) {
            ByteBuffer b = m.buffer();
            Attributes o = s.options.parse(b, a.offset(Rtnl.TCA_OPTIONS), a.end(Rtnl.TCA_OPTIONS));
            classId = o.u32(FilterCodec.TCA_U32_CLASSID, 0);
            if (o.has(FilterCodec.TCA_U32_SEL)) {
                o.require(FilterCodec.TCA_U32_SEL, 16);
                node = true;
                int sel = o.offset(FilterCodec.TCA_U32_SEL);
                int n = Byte.toUnsignedInt(b.get(sel + 2));
                o.require(FilterCodec.TCA_U32_SEL, 16 + 16 * n);
                for (int i = 0; i < n; i++) {
                    int k = sel + 16 + 16 * i;
                    keys.add(new U32Selector.Key(Integer.reverseBytes(b.getInt(k + 4)), Integer.reverseBytes(b.getInt(k)),
                            b.getInt(k + 8)));
                }
            }
            if (o.has(FilterCodec.TCA_U32_ACT)) {
                redirect = mirredTarget(m, o.offset(FilterCodec.TCA_U32_ACT), o.end(FilterCodec.TCA_U32_ACT), s);
            }
        }
        return new FilterInfo(prio, protocol, m.tcHandle(), kind, node, keys, classId, redirect);
    }

    private static int mirredTarget(NetlinkMessage m, int from, int to, Scratch s) {
        ByteBuffer b = m.buffer();
        Attributes list = s.actions.parse(b, from, to);
        for (int i = 1; i < 32; i++) {
            if (!list.has(i)) {
                continue;
            }
            Attributes act = s.action.parse(b, list.offset(i), list.end(i));
            if (FilterCodec.MIRRED.equals(act.string(FilterCodec.TCA_ACT_KIND)) && act.has(FilterCodec.TCA_ACT_OPTIONS)) {
                Attributes opts = s.actionOptions.parse(b, act.offset(FilterCodec.TCA_ACT_OPTIONS),
                        act.end(FilterCodec.TCA_ACT_OPTIONS));
                if (opts.has(FilterCodec.TCA_MIRRED_PARMS)) {
                    opts.require(FilterCodec.TCA_MIRRED_PARMS, 28);
                    return b.getInt(opts.offset(FilterCodec.TCA_MIRRED_PARMS) + 24);
                }
            }
        }
        return 0;
    }
}
