package org.poolwarden.exchange.wire;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Packet layout (big-endian):
 * <pre>
 *  0 magic u16 'PW'      2 version u8        3 minVersion u8 (oldest version the sender reads)
 *  4 poolId u32          8 keyId u8          9 flags u8 (0)
 * 10 sender u64         18 sequence u64     26 timestampMillis u64 (sender's wall clock)
 * 34 recordCount u8     35 records: type u8 | length u16 | body
 *  end-16 tag: HMAC-SHA-256(key, everything before the tag), first 16 bytes
 * </pre>
 * Checks run cheapest first and the tag is verified before any record is parsed, so garbage costs one HMAC at
 * most and an unauthenticated packet never reaches the parser. Not thread-safe: one codec per event loop.
 */
public final class PacketCodec {
    public static final int MAGIC = 0x5057;
    public static final int VERSION = 1;
    public static final int MIN_VERSION = 1;
    public static final int HEADER_BYTES = 35;
    public static final int TAG_BYTES = 16; // 128-bit truncated HMAC (RFC 2104 section 5 allows >= half the output)
    public static final int MAX_RECORDS = 255;
    /** Smallest MTU we accept: a header, a tag and one full-size entry must fit. */
    public static final int MIN_PACKET_BYTES = HEADER_BYTES + TAG_BYTES + 3 + 30 + MessageCodec.MAX_KEY_BYTES + MessageCodec.MAX_VALUE_BYTES;

    private final int poolId;
    private final int maxPacketBytes;
    private final long maxClockSkewMillis;
    private volatile KeyRing keys;
    private final Map<Integer, Mac> macs = new HashMap<>();

    public PacketCodec(int poolId, KeyRing keys, int maxPacketBytes, long maxClockSkewMillis) {
        if (maxPacketBytes < MIN_PACKET_BYTES || maxPacketBytes > 65507) {
            throw new IllegalArgumentException("max packet size " + maxPacketBytes + " outside " + MIN_PACKET_BYTES + "..65507");
        }
        if (maxClockSkewMillis <= 0) {
            throw new IllegalArgumentException("max clock skew must be positive, got " + maxClockSkewMillis + " ms");
        }
        this.poolId = poolId;
        this.maxPacketBytes = maxPacketBytes;
        this.maxClockSkewMillis = maxClockSkewMillis;
        setKeys(keys);
    }

    public int maxPacketBytes() {
        return maxPacketBytes;
    }

    public KeyRing keys() {
        return keys;
    }

    /** Key rotation: takes effect for the next packet sent and received. */
    public void setKeys(KeyRing newKeys) {
        if (newKeys == null) {
            throw new IllegalArgumentException("key ring is required");
        }
        synchronized (macs) {
            macs.clear();
            this.keys = newKeys;
        }
    }

    private Mac mac(PoolKey key) {
        synchronized (macs) {
            return macs.computeIfAbsent(key.id(), id -> {
                try {
                    Mac m = Mac.getInstance("HmacSHA256");
                    m.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
                    return m;
                } catch (GeneralSecurityException e) {
                    // every Java 17 runtime ships HmacSHA256; without it the agent cannot run at all
                    throw new IllegalStateException("HmacSHA256 unavailable in this JDK", e);
                }
            });
        }
    }

    /** Starts a packet; add records with {@link PacketBuilder#tryAdd} and seal it with {@link PacketBuilder#finish}. */
    public PacketBuilder newPacket(long sender, long sequence, long timestampMillis) {
        return new PacketBuilder(sender, sequence, timestampMillis);
    }

    /** Builds one packet no larger than the MTU and with at most {@value #MAX_RECORDS} records. */
    public final class PacketBuilder {
        private final byte[] buf = new byte[maxPacketBytes];
        private final WireWriter w = new WireWriter(buf, 0);
        private int count;

        private PacketBuilder(long sender, long sequence, long timestampMillis) {
            w.u16(MAGIC);
            w.u8(VERSION);
            w.u8(MIN_VERSION);
            w.i32(poolId);
            w.u8(0); // key id, set in finish() so a rotation in between cannot mismatch
            w.u8(0);
            w.i64(sender);
            w.i64(sequence);
            w.i64(timestampMillis);
            w.u8(0);
        }

        public int count() {
            return count;
        }

        public boolean isEmpty() {
            return count == 0;
        }

        public int remainingBytes() {
            return maxPacketBytes - TAG_BYTES - w.pos;
        }

        public boolean fits(Message m) {
            return count < MAX_RECORDS && MessageCodec.size(m) <= remainingBytes();
        }

        /** Adds the record if it fits; false (and nothing written) if the packet is full. */
        public boolean tryAdd(Message m) {
            MessageCodec.validate(m);
            if (!fits(m)) {
                return false;
            }
            MessageCodec.encode(m, w);
            count++;
            return true;
        }

        public byte[] finish() {
            PoolKey key = keys.primary();
            buf[8] = (byte) key.id();
            buf[34] = (byte) count;
            Mac mac = mac(key);
            mac.update(buf, 0, w.pos);
            byte[] full = mac.doFinal();
            byte[] out = new byte[w.pos + TAG_BYTES];
            System.arraycopy(buf, 0, out, 0, w.pos);
            System.arraycopy(full, 0, out, w.pos, TAG_BYTES);
            return out;
        }
    }

    /**
     * Decodes and authenticates. Never throws for any input and has no side effects: replay protection is the
     * caller's (it must only record a sequence after the packet was accepted).
     */
    public DecodeResult decode(byte[] data, int offset, int length, long nowMillis) {
        if (data == null || offset < 0 || length < 0 || offset > data.length - length) {
            return DecodeResult.dropped(DropReason.MALFORMED, "bad buffer bounds");
        }
        if (length > maxPacketBytes) {
            return DecodeResult.dropped(DropReason.OVERSIZED, length + " bytes > max " + maxPacketBytes);
        }
        if (length < HEADER_BYTES + TAG_BYTES) {
            return DecodeResult.dropped(DropReason.TRUNCATED, length + " bytes < minimum " + (HEADER_BYTES + TAG_BYTES));
        }
        try {
            WireReader h = new WireReader(data, offset, offset + HEADER_BYTES);
            int magic = h.u16("magic");
            if (magic != MAGIC) {
                return DecodeResult.dropped(DropReason.BAD_MAGIC, "magic 0x" + Integer.toHexString(magic));
            }
            int version = h.u8("version");
            int senderMin = h.u8("minVersion");
            if (version < MIN_VERSION || version > VERSION) {
                return DecodeResult.dropped(DropReason.UNKNOWN_VERSION,
                        "version " + version + " (sender reads " + senderMin + "..), we read " + MIN_VERSION + ".." + VERSION);
            }
            int pool = h.i32("poolId");
            if (pool != poolId) {
                return DecodeResult.dropped(DropReason.WRONG_POOL, "pool " + Integer.toUnsignedString(pool));
            }
            int keyId = h.u8("keyId");
            h.u8("flags");
            long sender = h.i64("sender");
            long sequence = h.i64("sequence");
            long timestamp = h.i64("timestamp");
            int recordCount = h.u8("recordCount");

            int tagAt = offset + length - TAG_BYTES;
            PoolKey key = keys.byId(keyId).orElse(null);
            if (key == null) {
                return DecodeResult.dropped(DropReason.BAD_KEY, "key id " + keyId + " not in the key ring");
            }
            Mac mac = mac(key);
            mac.update(data, offset, tagAt - offset);
            byte[] expected = mac.doFinal();
            int diff = 0; // constant time: no early exit on the first differing byte
            for (int i = 0; i < TAG_BYTES; i++) {
                diff |= expected[i] ^ data[tagAt + i];
            }
            if (diff != 0) {
                return DecodeResult.dropped(DropReason.BAD_KEY, "tag does not verify with key " + keyId);
            }
            if (timestamp < nowMillis - maxClockSkewMillis || timestamp > nowMillis + maxClockSkewMillis) {
                return DecodeResult.dropped(DropReason.CLOCK_SKEW,
                        "sender clock differs by " + (timestamp - nowMillis) + " ms, allowed +-" + maxClockSkewMillis);
            }

            WireReader r = new WireReader(data, offset + HEADER_BYTES, tagAt);
            List<Message> messages = new ArrayList<>(recordCount);
            int skipped = 0;
            for (int i = 0; i < recordCount; i++) {
                int type = r.u8("record.type");
                int len = r.u16("record.length");
                if (len > r.remaining()) {
                    throw new MalformedPacketException(DropReason.TRUNCATED, "record " + i + " length " + len + " > " + r.remaining() + " left");
                }
                int bodyStart = r.position();
                WireReader body = new WireReader(data, bodyStart, bodyStart + len);
                Message m = MessageCodec.decodeBody(type, body);
                if (m == null) {
                    skipped++;
                } else {
                    messages.add(m);
                }
                r.bytes(len, "record.body"); // advance past the body, including any tail appended by newer versions
            }
            if (r.remaining() != 0) {
                return DecodeResult.dropped(DropReason.MALFORMED, r.remaining() + " stray bytes after " + recordCount + " records");
            }
            return DecodeResult.ok(new Packet(version, sender, sequence, timestamp, keyId, messages), skipped);
        } catch (MalformedPacketException e) {
            return DecodeResult.dropped(e.reason, e.getMessage());
        }
    }
}
