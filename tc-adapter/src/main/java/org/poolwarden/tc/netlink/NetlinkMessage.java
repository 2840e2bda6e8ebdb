package org.poolwarden.tc.netlink;

import java.nio.ByteBuffer;

/**
 * A read-only view of one message inside a received datagram: header fields and the payload's bounds.
 * Reused while iterating a datagram; copy what you need before the next message.
 */
public final class NetlinkMessage {
    private ByteBuffer buf;
    private int start;
    private int length;

    void set(ByteBuffer buf, int start, int length) {
        this.buf = buf;
        this.start = start;
        this.length = length;
    }

    public ByteBuffer buffer() {
        return buf;
    }

    public int start() {
        return start;
    }

    public int length() {
        return length;
    }

    public int type() {
        return Short.toUnsignedInt(buf.getShort(start + 4));
    }

    public int flags() {
        return Short.toUnsignedInt(buf.getShort(start + 6));
    }

    public int seq() {
        return buf.getInt(start + 8);
    }

    public int pid() {
        return buf.getInt(start + 12);
    }

    /** Offset of the payload (the family header, e.g. tcmsg). */
    public int payload() {
        return start + Rtnl.NLMSG_HDRLEN;
    }

    public int end() {
        return start + length;
    }

    /** Parses the attributes following a family header of {@code headerLength} bytes. */
    public Attributes attributes(int headerLength, Attributes into) {
        int from = payload() + Rtnl.align(headerLength);
        if (from > end()) {
            throw new MalformedMessageException(Rtnl.typeName(type()) + " of " + length + " bytes is shorter than its "
                    + headerLength + "-byte header");
        }
        return into.parse(buf, from, end());
    }

    // tcmsg accessors
    public int tcIfindex() {
        return buf.getInt(payload() + 4);
    }

    public int tcHandle() {
        return buf.getInt(payload() + 8);
    }

    public int tcParent() {
        return buf.getInt(payload() + 12);
    }

    public int tcInfo() {
        return buf.getInt(payload() + 16);
    }

    // ifinfomsg accessors
    public int ifIndex() {
        return buf.getInt(payload() + 4);
    }

    public int ifFlags() {
        return buf.getInt(payload() + 8);
    }

    /** Iterates the messages of one datagram held in {@code buf[from, to)}. */
    public static void forEach(ByteBuffer buf, int from, int to, java.util.function.Consumer<NetlinkMessage> each) {
        NetlinkMessage m = new NetlinkMessage();
        int pos = from;
        while (pos + Rtnl.NLMSG_HDRLEN <= to) {
            int len = buf.getInt(pos);
            if (len < Rtnl.NLMSG_HDRLEN || pos + len > to) {
                throw new MalformedMessageException("netlink message at offset " + pos + " has length " + len
                        + " running past " + to);
            }
            m.set(buf, pos, len);
            each.accept(m);
            pos += Rtnl.align(len);
        }
    }
}
