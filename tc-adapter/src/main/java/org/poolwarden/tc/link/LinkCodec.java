package org.poolwarden.tc.link;

import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;

/** RTM_NEWLINK/GETLINK/DELLINK messages for the links we manage (IFB devices) and look up (pipe interfaces). */
public final class LinkCodec {
    public static final int CREATE = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL;

    private LinkCodec() {
    }

    /** "ip link add NAME type KIND" (e.g. ifb). */
    public static void writeCreate(NetlinkWriter w, int seq, String name, String kind) {
        requireName(name);
        w.beginMessage(Rtnl.RTM_NEWLINK, CREATE, seq, 0).ifinfomsg(0, 0, 0, 0);
        w.string(Rtnl.IFLA_IFNAME, name);
        int info = w.beginNested(Rtnl.IFLA_LINKINFO);
        w.string(Rtnl.IFLA_INFO_KIND, kind);
        w.endNested(info);
        w.endMessage();
    }

    /** "ip link set dev up|down" by index. */
    public static void writeSetUp(NetlinkWriter w, int seq, int index, boolean up) {
        w.beginMessage(Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, seq, 0)
                .ifinfomsg(0, index, up ? Rtnl.IFF_UP : 0, Rtnl.IFF_UP);
        w.endMessage();
    }

    public static void writeDelete(NetlinkWriter w, int seq, int index) {
        w.beginMessage(Rtnl.RTM_DELLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, seq, 0).ifinfomsg(0, index, 0, 0);
        w.endMessage();
    }

    /** RTM_GETLINK by name, acknowledged: the reply is one RTM_NEWLINK then the ack (or ENODEV). */
    public static void writeGetByName(NetlinkWriter w, int seq, String name) {
        requireName(name);
        w.beginMessage(Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, seq, 0).ifinfomsg(0, 0, 0, 0);
        w.string(Rtnl.IFLA_IFNAME, name);
        w.endMessage();
    }

    public static void writeDumpAll(NetlinkWriter w, int seq) {
        w.beginMessage(Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq, 0).ifinfomsg(0, 0, 0, 0);
        w.endMessage();
    }

    /** Interface names are 1..15 bytes, no '/' or whitespace (IFNAMSIZ 16 with the NUL). */
    public static void requireName(String name) {
        if (name == null || name.isEmpty() || name.length() > 15 || name.chars().anyMatch(c -> c <= ' ' || c == '/' || c > 126)) {
            throw new IllegalArgumentException("interface name '" + name + "' is not valid (1-15 printable characters, no '/')");
        }
    }
}
