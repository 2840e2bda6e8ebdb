package org.poolwarden.tc.link;

import org.poolwarden.tc.netlink.Attributes;
import org.poolwarden.tc.netlink.NetlinkMessage;
import org.poolwarden.tc.netlink.Rtnl;

/** What we need to know about a network interface: index, name, MTU, whether it is up, and its kind (or null). */
public record LinkInfo(int index, String name, int mtu, boolean up, String kind) {
    /** Decodes an RTM_NEWLINK message. */
    public static LinkInfo decode(NetlinkMessage m, Attributes scratch, Attributes nested) {
        Attributes a = m.attributes(Rtnl.IFINFOMSG_LEN, scratch);
        String name = a.string(Rtnl.IFLA_IFNAME);
        int mtu = a.u32(Rtnl.IFLA_MTU, 0);
        String kind = null;
        if (a.has(Rtnl.IFLA_LINKINFO)) {
            kind = nested.parse(m.buffer(), a.offset(Rtnl.IFLA_LINKINFO), a.end(Rtnl.IFLA_LINKINFO)).string(Rtnl.IFLA_INFO_KIND);
        }
        return new LinkInfo(m.ifIndex(), name, mtu, (m.ifFlags() & Rtnl.IFF_UP) != 0, kind);
    }
}
