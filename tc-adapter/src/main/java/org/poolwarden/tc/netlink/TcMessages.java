package org.poolwarden.tc.netlink;

/**
 * Framing shared by every traffic-control message: nlmsghdr + tcmsg + TCA_KIND, in iproute2's order. The kind's
 * options are written by the caller between {@link #begin} and {@link NetlinkWriter#endMessage()}.
 */
public final class TcMessages {
    /** tc's flags for "add": create, fail if it exists. */
    public static final int ADD = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL;
    /** tc's flags for "change": modify in place, fail if missing. */
    public static final int CHANGE = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK;
    /** tc's flags for "replace": create or modify. */
    public static final int REPLACE = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_REPLACE;
    /**
     * What {@code tc class replace} sends: create-or-change without NLM_F_REPLACE. For classes the kernel looks only
     * at CREATE and EXCL, so this and {@link #REPLACE} behave the same.
     */
    public static final int TC_CLASS_REPLACE = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE;
    public static final int DELETE = Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK;

    private TcMessages() {
    }

    /** Starts a tc message and writes TCA_KIND when {@code kind} is not null. */
    public static NetlinkWriter begin(NetlinkWriter w, int type, int flags, int seq, int ifindex, int handle, int parent,
                                      int info, String kind) {
        w.beginMessage(type, flags, seq, 0).tcmsg(ifindex, handle, parent, info);
        if (kind != null) {
            w.string(Rtnl.TCA_KIND, kind);
        }
        return w;
    }

    /** A tc handle "major:minor". */
    public static int handle(int major, int minor) {
        return (major << 16) | (minor & 0xffff);
    }

    public static int major(int handle) {
        return handle >>> 16;
    }

    public static int minor(int handle) {
        return handle & 0xffff;
    }

    /** tcm_info of a filter: priority in the high half, the protocol in network order in the low half. */
    public static int filterInfo(int prio, int ethProtocol) {
        return (prio << 16) | Short.toUnsignedInt(Short.reverseBytes((short) ethProtocol));
    }

    /** "1:10", as tc prints handles (hex, no leading zeros). */
    public static String format(int handle) {
        if (handle == Rtnl.TC_H_ROOT) {
            return "root";
        }
        return Integer.toHexString(major(handle)) + ":" + (minor(handle) == 0 ? "" : Integer.toHexString(minor(handle)));
    }
}
