package org.poolwarden.tc.netlink;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A parsed run of netlink attributes: for each type up to a maximum, the offset and length of its payload in the
 * buffer (the last occurrence wins, as in the kernel's nla_parse). Reusable: {@link #parse} resets it.
 * Malformed input (a length running past the end) is rejected with {@link MalformedMessageException}.
 */
public final class Attributes {
    private final int[] offset;
    private final int[] length;
    private ByteBuffer buf;

    public Attributes(int maxType) {
        offset = new int[maxType + 1];
        length = new int[maxType + 1];
    }

    public Attributes parse(ByteBuffer buf, int from, int to) {
        this.buf = buf;
        java.util.Arrays.fill(offset, -1);
        int pos = from;
        while (pos + Rtnl.NLA_HDRLEN <= to) {
            int len = Short.toUnsignedInt(buf.getShort(pos));
            int type = Short.toUnsignedInt(buf.getShort(pos + 2)) & Rtnl.NLA_TYPE_MASK;
            if (len < Rtnl.NLA_HDRLEN || pos + len > to) {
                throw new MalformedMessageException("attribute type " + type + " at offset " + pos + " has length "
                        + len + " running past " + to);
            }
            if (type < offset.length) {
                offset[type] = pos + Rtnl.NLA_HDRLEN;
                length[type] = len - Rtnl.NLA_HDRLEN;
            }
            pos += Rtnl.align(len);
        }
        return this;
    }

    public boolean has(int type) {
        return type < offset.length && offset[type] >= 0;
    }

    /** Payload offset of {@code type}, or -1. */
    public int offset(int type) {
        return has(type) ? offset[type] : -1;
    }

    public int length(int type) {
        return has(type) ? length[type] : 0;
    }

    /** The end offset of {@code type}'s payload (for parsing a nest). */
    public int end(int type) {
        return offset(type) + length(type);
    }

    public int u32(int type, int absent) {
        if (!has(type)) {
            return absent;
        }
        require(type, 4);
        return buf.getInt(offset[type]);
    }

    public long u64(int type, long absent) {
        if (!has(type)) {
            return absent;
        }
        require(type, 8);
        return buf.getLong(offset[type]);
    }

    /** A NUL-terminated (or unterminated) string attribute, or {@code null} when absent. */
    public String string(int type) {
        if (!has(type)) {
            return null;
        }
        int n = length[type];
        byte[] b = new byte[n];
        buf.get(offset[type], b);
        int end = 0;
        while (end < n && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.US_ASCII);
    }

    public void require(int type, int minLength) {
        if (length[type] < minLength) {
            throw new MalformedMessageException("attribute type " + type + " has " + length[type]
                    + " bytes, needs " + minLength);
        }
    }
}
