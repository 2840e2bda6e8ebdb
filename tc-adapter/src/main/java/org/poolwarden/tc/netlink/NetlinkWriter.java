package org.poolwarden.tc.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes netlink messages into a caller-owned buffer, from its position on. Lengths (of the message and of nested
 * attributes) are back-filled when the message or nest is closed, so callers never compute sizes. Padding bytes
 * are always written as zero, which makes the output byte-for-byte reproducible (golden tests rely on it).
 *
 * <p>Several messages may be written one after another into one buffer and sent as one datagram.
 */
public final class NetlinkWriter {
    private final ByteBuffer buf;
    private int messageStart = -1;

    public NetlinkWriter(ByteBuffer buf) {
        if (buf.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("netlink buffers must be in native byte order");
        }
        this.buf = buf;
    }

    public ByteBuffer buffer() {
        return buf;
    }

    /** Starts a message; the header's length is filled by {@link #endMessage()}. */
    public NetlinkWriter beginMessage(int type, int flags, int seq, int pid) {
        if (messageStart >= 0) {
            throw new IllegalStateException("message at offset " + messageStart + " not ended");
        }
        messageStart = buf.position();
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(pid);
        return this;
    }

    /** Writes a struct tcmsg (family AF_UNSPEC). */
    public NetlinkWriter tcmsg(int ifindex, int handle, int parent, int info) {
        buf.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(ifindex).putInt(handle).putInt(parent).putInt(info);
        return this;
    }

    /** Writes a struct ifinfomsg (family AF_UNSPEC). */
    public NetlinkWriter ifinfomsg(int type, int index, int flags, int change) {
        buf.put((byte) 0).put((byte) 0).putShort((short) type).putInt(index).putInt(flags).putInt(change);
        return this;
    }

    /** Closes the current message: back-fills nlmsg_len and pads to 4 bytes. Returns the message's length. */
    public int endMessage() {
        if (messageStart < 0) {
            throw new IllegalStateException("no message begun");
        }
        int len = buf.position() - messageStart;
        buf.putInt(messageStart, len);
        pad();
        messageStart = -1;
        return len;
    }

    public NetlinkWriter u8(int type, int value) {
        header(type, 1);
        buf.put((byte) value);
        pad();
        return this;
    }

    public NetlinkWriter u16(int type, int value) {
        header(type, 2);
        buf.putShort((short) value);
        pad();
        return this;
    }

    public NetlinkWriter u32(int type, int value) {
        header(type, 4);
        buf.putInt(value);
        return this;
    }

    public NetlinkWriter u64(int type, long value) {
        header(type, 8);
        buf.putLong(value);
        return this;
    }

    /** A NUL-terminated string attribute, as iproute2 writes them (length includes the NUL). */
    public NetlinkWriter string(int type, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        header(type, b.length + 1);
        buf.put(b).put((byte) 0);
        pad();
        return this;
    }

    public NetlinkWriter flag(int type) {
        header(type, 0);
        return this;
    }

    /** Starts an attribute whose payload the caller writes with {@link #buffer()}; close it with {@link #endNested}. */
    public int beginAttribute(int type) {
        return beginNested(type);
    }

    /** Starts a nested attribute; returns its offset for {@link #endNested(int)}, which back-fills its length. */
    public int beginNested(int type) {
        int start = buf.position();
        buf.putShort((short) 0).putShort((short) type);
        return start;
    }

    public NetlinkWriter endNested(int start) {
        buf.putShort(start, (short) (buf.position() - start));
        pad();
        return this;
    }

    private void header(int type, int payload) {
        buf.putShort((short) (Rtnl.NLA_HDRLEN + payload)).putShort((short) type);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }
}
