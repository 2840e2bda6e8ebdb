package org.poolwarden.tc.netlink;

/**
 * Wire constants from the kernel's uapi headers (linux/netlink.h, linux/rtnetlink.h, linux/pkt_sched.h). Values are
 * ABI and never change; the names are the kernel's so they can be grepped in the headers.
 */
public final class Rtnl {
    private Rtnl() {
    }

    // netlink.h: message types and flags
    public static final int NLMSG_HDRLEN = 16;
    public static final int NLA_HDRLEN = 4;
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;

    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLM_F_ECHO = 0x08;
    public static final int NLM_F_DUMP_INTR = 0x10;
    /** GET flags. */
    public static final int NLM_F_ROOT = 0x100;
    public static final int NLM_F_MATCH = 0x200;
    public static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    /** NEW flags. */
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    /** Flags of an NLMSG_ERROR reply. */
    public static final int NLM_F_CAPPED = 0x100;
    public static final int NLM_F_ACK_TLVS = 0x200;

    public static final int NLMSGERR_ATTR_MSG = 1;
    public static final int NLMSGERR_ATTR_OFFS = 2;

    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLA_TYPE_MASK = 0x3fff;

    // rtnetlink.h: message types
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWQDISC = 36;
    public static final int RTM_DELQDISC = 37;
    public static final int RTM_GETQDISC = 38;
    public static final int RTM_NEWTCLASS = 40;
    public static final int RTM_DELTCLASS = 41;
    public static final int RTM_GETTCLASS = 42;
    public static final int RTM_NEWTFILTER = 44;
    public static final int RTM_DELTFILTER = 45;
    public static final int RTM_GETTFILTER = 46;

    /** struct tcmsg: family, pad, pad, ifindex, handle, parent, info. */
    public static final int TCMSG_LEN = 20;
    /** struct ifinfomsg: family, pad, type, index, flags, change. */
    public static final int IFINFOMSG_LEN = 16;

    public static final int TCA_KIND = 1;
    public static final int TCA_OPTIONS = 2;
    public static final int TCA_STATS = 3;
    public static final int TCA_XSTATS = 4;
    public static final int TCA_STATS2 = 7;
    public static final int TCA_EXT_WARN_MSG = 16;

    public static final int TCA_STATS_BASIC = 1;
    public static final int TCA_STATS_QUEUE = 3;
    public static final int TCA_STATS_PKT64 = 8;

    // if_link.h
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_MTU = 4;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_INFO_KIND = 1;
    public static final int IFF_UP = 1;

    // pkt_sched.h handles
    public static final int TC_H_ROOT = 0xFFFFFFFF;
    public static final int TC_H_INGRESS = 0xFFFFFFF1;
    public static final int TC_H_UNSPEC = 0;

    // if_ether.h protocols, as they appear (host order) before htons
    public static final int ETH_P_ALL = 0x0003;
    public static final int ETH_P_IP = 0x0800;

    /** The name of a message type, for error messages. */
    public static String typeName(int type) {
        return switch (type) {
            case NLMSG_ERROR -> "NLMSG_ERROR";
            case NLMSG_DONE -> "NLMSG_DONE";
            case RTM_NEWLINK -> "RTM_NEWLINK";
            case RTM_DELLINK -> "RTM_DELLINK";
            case RTM_GETLINK -> "RTM_GETLINK";
            case RTM_NEWQDISC -> "RTM_NEWQDISC";
            case RTM_DELQDISC -> "RTM_DELQDISC";
            case RTM_GETQDISC -> "RTM_GETQDISC";
            case RTM_NEWTCLASS -> "RTM_NEWTCLASS";
            case RTM_DELTCLASS -> "RTM_DELTCLASS";
            case RTM_GETTCLASS -> "RTM_GETTCLASS";
            case RTM_NEWTFILTER -> "RTM_NEWTFILTER";
            case RTM_DELTFILTER -> "RTM_DELTFILTER";
            case RTM_GETTFILTER -> "RTM_GETTFILTER";
            default -> "type " + type;
        };
    }

    public static int align(int len) {
        return (len + 3) & ~3;
    }
}
