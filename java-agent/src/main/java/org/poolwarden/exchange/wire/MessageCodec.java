package org.poolwarden.exchange.wire;

import java.nio.charset.StandardCharsets;

/**
 * Encoding of single records: {@code type u8 | length u16 | body}. A known record's body may be longer than this
 * version reads (fields are only ever appended), so the reader skips the tail; a shorter one is malformed.
 */
public final class MessageCodec {
    public static final int RECORD_HEADER_BYTES = 3;
    public static final int MAX_KEY_BYTES = 64;
    public static final int MAX_VALUE_BYTES = 1024;
    /** Ids in one IHAVE or IWANT record (a u8 count). */
    public static final int MAX_IDS = 255;
    /** Bytes of one {@link Message.EntryId} on the wire. */
    public static final int ID_BYTES = 12;

    private MessageCodec() {
    }

    /** Bytes this message takes in a packet, record header included. */
    public static int size(Message m) {
        return RECORD_HEADER_BYTES + bodySize(m);
    }

    static int bodySize(Message m) {
        if (m instanceof Message.Ping) {
            return 4 + 8;
        } else if (m instanceof Message.Ack || m instanceof Message.Nack) {
            return 4;
        } else if (m instanceof Message.PingReq r) {
            return 4 + 8 + WireWriter.addressSize(r.targetAddress());
        } else if (m instanceof Message.Alive a) {
            return 8 + 4 + WireWriter.addressSize(a.address());
        } else if (m instanceof Message.Suspect || m instanceof Message.Dead) {
            return 8 + 4 + 8;
        } else if (m instanceof Message.Entry e) {
            return 8 + 8 + 1 + 1 + keyBytes(e.key()).length + 2 + e.value().length;
        } else if (m instanceof Message.Digest) {
            return 8 + 8 + 4 + 4 + 1;
        } else if (m instanceof Message.Join) {
            return 0;
        } else if (m instanceof Message.IHave h) {
            return 1 + ID_BYTES * h.ids().size();
        } else if (m instanceof Message.IWant w) {
            return 1 + ID_BYTES * w.ids().size();
        }
        throw new IllegalArgumentException("unknown message " + m);
    }

    static byte[] keyBytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** Checks the limits an encoder must respect, so a local bug cannot produce a packet peers reject. */
    public static void validate(Message m) {
        if (m instanceof Message.Entry e) {
            int k = keyBytes(e.key()).length;
            if (k == 0 || k > MAX_KEY_BYTES) {
                throw new IllegalArgumentException("entry key '" + e.key() + "' is " + k + " bytes, allowed 1.." + MAX_KEY_BYTES);
            }
            if (e.value().length > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("entry value of key '" + e.key() + "' is " + e.value().length
                        + " bytes, allowed 0.." + MAX_VALUE_BYTES);
            }
        }
    }

    static void encode(Message m, WireWriter w) {
        w.u8(m.type());
        w.u16(bodySize(m));
        if (m instanceof Message.Ping p) {
            w.i32(p.seq());
            w.i64(p.target());
        } else if (m instanceof Message.Ack a) {
            w.i32(a.seq());
        } else if (m instanceof Message.Nack n) {
            w.i32(n.seq());
        } else if (m instanceof Message.PingReq r) {
            w.i32(r.seq());
            w.i64(r.target());
            w.address(r.targetAddress());
        } else if (m instanceof Message.Alive a) {
            w.i64(a.node());
            w.i32(a.incarnation());
            w.address(a.address());
        } else if (m instanceof Message.Suspect s) {
            w.i64(s.node());
            w.i32(s.incarnation());
            w.i64(s.from());
        } else if (m instanceof Message.Dead d) {
            w.i64(d.node());
            w.i32(d.incarnation());
            w.i64(d.from());
        } else if (m instanceof Message.Entry e) {
            byte[] key = keyBytes(e.key());
            w.i64(e.origin());
            w.i64(e.version());
            w.u8(e.ttl());
            w.u8(key.length);
            w.bytes(key);
            w.u16(e.value().length);
            w.bytes(e.value());
        } else if (m instanceof Message.Digest d) {
            w.i64(d.origin());
            w.i64(d.maxVersion());
            w.i32(d.count());
            w.i32(d.hash());
            w.u8(d.reply() ? 1 : 0);
        } else if (m instanceof Message.IHave h) {
            ids(h.ids(), w);
        } else if (m instanceof Message.IWant iw) {
            ids(iw.ids(), w);
        }
        // Join has no body
    }

    private static void ids(java.util.List<Message.EntryId> ids, WireWriter w) {
        w.u8(ids.size());
        for (Message.EntryId id : ids) {
            w.i64(id.origin());
            w.i32(id.versionLow());
        }
    }

    private static java.util.List<Message.EntryId> ids(WireReader r, String what) throws MalformedPacketException {
        int n = r.u8(what + ".count");
        if (n == 0) {
            throw new MalformedPacketException(DropReason.MALFORMED, what + ".count 0");
        }
        if (n * ID_BYTES > r.remaining()) {
            // checked before allocating: a forged count must not make us build a list the body cannot hold
            throw new MalformedPacketException(DropReason.MALFORMED, what + ".count " + n + " needs " + n * ID_BYTES
                    + " bytes, " + r.remaining() + " left");
        }
        java.util.List<Message.EntryId> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new Message.EntryId(r.i64(what + ".origin"), r.i32(what + ".version")));
        }
        return out;
    }

    /** Decodes one body; returns null for a type this version does not know (the caller skips and counts it). */
    static Message decodeBody(int type, WireReader r) throws MalformedPacketException {
        switch (type) {
            case RecordType.PING:
                return new Message.Ping(r.i32("ping.seq"), r.i64("ping.target"));
            case RecordType.ACK:
                return new Message.Ack(r.i32("ack.seq"));
            case RecordType.NACK:
                return new Message.Nack(r.i32("nack.seq"));
            case RecordType.PING_REQ:
                return new Message.PingReq(r.i32("pingreq.seq"), r.i64("pingreq.target"), r.address("pingreq.address"));
            case RecordType.ALIVE:
                return new Message.Alive(r.i64("alive.node"), r.i32("alive.incarnation"), r.address("alive.address"));
            case RecordType.SUSPECT:
                return new Message.Suspect(r.i64("suspect.node"), r.i32("suspect.incarnation"), r.i64("suspect.from"));
            case RecordType.DEAD:
                return new Message.Dead(r.i64("dead.node"), r.i32("dead.incarnation"), r.i64("dead.from"));
            case RecordType.ENTRY: {
                long origin = r.i64("entry.origin");
                long version = r.i64("entry.version");
                int ttl = r.u8("entry.ttl");
                int keyLen = r.u8("entry.keyLength");
                if (keyLen == 0 || keyLen > MAX_KEY_BYTES) {
                    throw new MalformedPacketException(DropReason.MALFORMED, "entry.keyLength " + keyLen + " outside 1.." + MAX_KEY_BYTES);
                }
                String key = r.utf8(keyLen, "entry.key");
                int valueLen = r.u16("entry.valueLength");
                if (valueLen > MAX_VALUE_BYTES) {
                    throw new MalformedPacketException(DropReason.MALFORMED, "entry.valueLength " + valueLen + " above " + MAX_VALUE_BYTES);
                }
                return new Message.Entry(origin, key, version, ttl, r.bytes(valueLen, "entry.value"));
            }
            case RecordType.DIGEST: {
                long origin = r.i64("digest.origin");
                long maxVersion = r.i64("digest.maxVersion");
                int count = r.i32("digest.count");
                int hash = r.i32("digest.hash");
                int flags = r.u8("digest.flags");
                return new Message.Digest(origin, maxVersion, count, hash, (flags & 1) != 0);
            }
            case RecordType.JOIN:
                return new Message.Join();
            case RecordType.IHAVE:
                return new Message.IHave(ids(r, "ihave"));
            case RecordType.IWANT:
                return new Message.IWant(ids(r, "iwant"));
            default:
                return null;
        }
    }
}
