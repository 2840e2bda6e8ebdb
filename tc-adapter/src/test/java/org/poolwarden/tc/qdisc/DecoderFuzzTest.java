package org.poolwarden.tc.qdisc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.poolwarden.tc.filter.FilterInfo;
import org.poolwarden.tc.netlink.MalformedMessageException;
import org.poolwarden.tc.netlink.NetlinkMessage;
import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;

/** The dump decoders reject garbage with MalformedMessageException and nothing else. */
class DecoderFuzzTest {
    static ByteBuffer message(int type, String kind, byte[] options, byte[] stats) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        NetlinkWriter w = new NetlinkWriter(b);
        w.beginMessage(type, Rtnl.NLM_F_MULTI, 1, 0).tcmsg(1, 0x50570010, 0x50570001, 0x00010008);
        w.string(Rtnl.TCA_KIND, kind);
        int o = w.beginNested(Rtnl.TCA_OPTIONS);
        b.put(options);
        w.endNested(o);
        int s = w.beginNested(Rtnl.TCA_STATS2);
        b.put(stats);
        w.endNested(s);
        w.endMessage();
        b.flip();
        return b;
    }

    @Property(tries = 2000)
    void classAndQdiscDecodersSurviveGarbage(@ForAll @Size(max = 300) byte[] options, @ForAll @Size(max = 100) byte[] stats,
                                             @ForAll @IntRange(min = 0, max = 3) int which) {
        String kind = new String[] {"htb", "pfifo", "u32", "ingress"}[which];
        for (int type : new int[] {Rtnl.RTM_NEWTCLASS, Rtnl.RTM_NEWQDISC, Rtnl.RTM_NEWTFILTER}) {
            ByteBuffer b = message(type, kind, options, stats);
            try {
                NetlinkMessage.forEach(b, 0, b.limit(), m -> {
                    if (type == Rtnl.RTM_NEWTFILTER) {
                        FilterInfo.decode(m, new FilterInfo.Scratch());
                    } else {
                        TcObject.decode(m, new TcObject.Scratch());
                    }
                });
            } catch (MalformedMessageException expected) {
                // rejected cleanly
            }
        }
    }
}
