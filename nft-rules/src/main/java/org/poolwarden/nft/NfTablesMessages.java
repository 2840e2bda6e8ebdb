package org.poolwarden.nft;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The two nf_tables netlink requests that must not go through libnftables (which fills its cache with every set
 * element of the table before answering anything): the ruleset generation id, and a dump of the named counters of
 * one table. Pure codec: encoders write into caller-owned buffers, lengths back-filled; no I/O.
 */
public final class NfTablesMessages {
    static final int NFNL_SUBSYS_NFTABLES = 10;
    static final int NFT_MSG_NEWGEN = 15;
    static final int NFT_MSG_GETGEN = 16;
    static final int NFT_MSG_NEWOBJ = 18;
    static final int NFT_MSG_GETOBJ = 19;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_DUMP = 0x300;
    static final int AF_UNSPEC = 0;
    static final int NFPROTO_INET = 1;
    static final int NFTA_GEN_ID = 1;
    static final int NFTA_OBJ_TABLE = 1;
    static final int NFTA_OBJ_NAME = 2;
    static final int NFTA_OBJ_TYPE = 3;
    static final int NFTA_OBJ_DATA = 4;
    static final int NFT_OBJECT_COUNTER = 1;
    static final int NFTA_COUNTER_BYTES = 1;
    static final int NFTA_COUNTER_PACKETS = 2;
    static final int NLMSG_HDRLEN = 16;
    static final int NFGENMSG_LEN = 4;

    private NfTablesMessages() {
    }

    /** One message of a reply: netlink type, flags, sequence number and the payload after the netlink header. */
    public record Message(int type, int flags, int seq, ByteBuffer payload) {
        public boolean isDone() {
            return type == NLMSG_DONE;
        }

        public boolean isError() {
            return type == NLMSG_ERROR;
        }

        /** For an error message: the errno (positive); 0 is an acknowledgement. */
        public int errno() {
            if (payload.remaining() < 4) {
                throw new IllegalArgumentException("netlink error message without an error code");
            }
            return -payload.order(ByteOrder.nativeOrder()).getInt(payload.position());
        }

        public int nftType() {
            return (type >> 8) == NFNL_SUBSYS_NFTABLES ? type & 0xff : -1;
        }
    }

    /** A counter object from a dump. */
    public record Counter(String table, String name, Traffic traffic) {
    }

    /** Writes a GETGEN request at the buffer's position; returns its length. */
    public static int getGeneration(ByteBuffer buf, int seq) {
        int start = header(buf, NFT_MSG_GETGEN, NLM_F_REQUEST, seq, AF_UNSPEC);
        return finish(buf, start);
    }

    /** Writes a dump request for the counter objects of table {@code table} (family inet). */
    public static int dumpCounters(ByteBuffer buf, int seq, String table) {
        int start = header(buf, NFT_MSG_GETOBJ, NLM_F_REQUEST | NLM_F_DUMP, seq, NFPROTO_INET);
        byte[] name = (table + "\0").getBytes(StandardCharsets.US_ASCII);
        attr(buf, NFTA_OBJ_TABLE, name);
        attr(buf, NFTA_OBJ_TYPE, ByteBuffer.allocate(4).putInt(NFT_OBJECT_COUNTER).array());
        return finish(buf, start);
    }

    private static int header(ByteBuffer buf, int msg, int flags, int seq, int family) {
        buf.order(ByteOrder.nativeOrder());
        int start = buf.position();
        buf.putInt(0);                                      // length, back-filled
        buf.putShort((short) (NFNL_SUBSYS_NFTABLES << 8 | msg));
        buf.putShort((short) flags);
        buf.putInt(seq);
        buf.putInt(0);                                      // port id: the kernel fills it in
        buf.put((byte) family);
        buf.put((byte) 0);                                  // NFNETLINK_V0
        buf.putShort((short) 0);                            // res_id (big-endian zero)
        return start;
    }

    private static void attr(ByteBuffer buf, int type, byte[] data) {
        buf.putShort((short) (4 + data.length));
        buf.putShort((short) type);
        buf.put(data);
        pad(buf);
    }

    private static void pad(ByteBuffer buf) {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    private static int finish(ByteBuffer buf, int start) {
        int len = buf.position() - start;
        buf.putInt(start, len);
        return len;
    }

    /** Splits one received datagram ({@code position..limit}) into its messages. */
    public static List<Message> messages(ByteBuffer data) {
        ByteBuffer b = data.duplicate().order(ByteOrder.nativeOrder());
        List<Message> out = new ArrayList<>();
        while (b.remaining() >= NLMSG_HDRLEN) {
            int start = b.position();
            int len = b.getInt(start);
            if (len < NLMSG_HDRLEN || len > b.remaining()) {
                throw new IllegalArgumentException("truncated netlink message: length " + len + ", "
                        + b.remaining() + " bytes left");
            }
            int type = b.getShort(start + 4) & 0xffff;
            int flags = b.getShort(start + 6) & 0xffff;
            int seq = b.getInt(start + 8);
            ByteBuffer payload = b.slice(start + NLMSG_HDRLEN, len - NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
            out.add(new Message(type, flags, seq, payload));
            b.position(start + align(len));
            if (b.position() > b.limit()) {
                break;
            }
        }
        return out;
    }

    private static ByteBuffer attributes(Message m) {
        if (m.payload().remaining() < NFGENMSG_LEN) {
            throw new IllegalArgumentException("nf_tables message without its nfgenmsg header");
        }
        return m.payload().slice(NFGENMSG_LEN, m.payload().remaining() - NFGENMSG_LEN);
    }

    /** The generation id of a NEWGEN reply. */
    public static long generation(Message m) {
        if (m.nftType() != NFT_MSG_NEWGEN) {
            throw new IllegalArgumentException("not a NEWGEN message: type " + m.type());
        }
        ByteBuffer a = attribute(attributes(m), NFTA_GEN_ID);
        if (a == null || a.remaining() < 4) {
            throw new IllegalArgumentException("NEWGEN without NFTA_GEN_ID");
        }
        return a.order(ByteOrder.BIG_ENDIAN).getInt(0) & 0xffffffffL;
    }

    /** The counter of a NEWOBJ message, or {@code null} when the object is not a counter. */
    public static Counter counter(Message m) {
        if (m.nftType() != NFT_MSG_NEWOBJ) {
            return null;
        }
        ByteBuffer attrs = attributes(m);
        ByteBuffer type = attribute(attrs, NFTA_OBJ_TYPE);
        if (type == null || type.remaining() < 4 || type.order(ByteOrder.BIG_ENDIAN).getInt(0) != NFT_OBJECT_COUNTER) {
            return null;
        }
        ByteBuffer data = attribute(attrs, NFTA_OBJ_DATA);
        ByteBuffer bytes = data == null ? null : attribute(data, NFTA_COUNTER_BYTES);
        ByteBuffer packets = data == null ? null : attribute(data, NFTA_COUNTER_PACKETS);
        return new Counter(string(attribute(attrs, NFTA_OBJ_TABLE)), string(attribute(attrs, NFTA_OBJ_NAME)),
                new Traffic(u64(packets), u64(bytes)));
    }

    /** The payload of the first attribute of {@code type} (flags masked off), or {@code null}. */
    static ByteBuffer attribute(ByteBuffer attrs, int type) {
        ByteBuffer b = attrs.duplicate().order(ByteOrder.nativeOrder());
        while (b.remaining() >= 4) {
            int start = b.position();
            int len = b.getShort(start) & 0xffff;
            int t = b.getShort(start + 2) & 0x3fff;
            if (len < 4 || len > b.remaining()) {
                throw new IllegalArgumentException("bad netlink attribute: length " + len);
            }
            if (t == type) {
                return b.slice(start + 4, len - 4);
            }
            int next = start + align(len);
            if (next > b.limit()) {
                break;
            }
            b.position(next);
        }
        return null;
    }

    private static long u64(ByteBuffer b) {
        if (b == null) {
            return 0;
        }
        if (b.remaining() < 8) {
            throw new IllegalArgumentException("counter value of " + b.remaining() + " bytes");
        }
        return b.order(ByteOrder.BIG_ENDIAN).getLong(0);
    }

    private static String string(ByteBuffer b) {
        if (b == null) {
            return "";
        }
        byte[] raw = new byte[b.remaining()];
        b.duplicate().get(raw);
        int n = 0;
        while (n < raw.length && raw[n] != 0) {
            n++;
        }
        return new String(raw, 0, n, StandardCharsets.US_ASCII);
    }

    static int align(int len) {
        return (len + 3) & ~3;
    }
}
