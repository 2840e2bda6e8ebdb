package org.poolwarden.exchange.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poolwarden.exchange.wire.WireFixtures.KEY_A;
import static org.poolwarden.exchange.wire.WireFixtures.KEY_B;
import static org.poolwarden.exchange.wire.WireFixtures.NOW;
import static org.poolwarden.exchange.wire.WireFixtures.POOL;
import static org.poolwarden.exchange.wire.WireFixtures.addr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class PacketCodecTest {
    private final PacketCodec codec = WireFixtures.codec(KeyRing.of(KEY_A));

    static final List<Message> ONE_OF_EACH = List.of(
            new Message.Ping(7, 42L),
            new Message.Ack(-1),
            new Message.Nack(Integer.MAX_VALUE),
            new Message.PingReq(9, -5L, addr(10, 0, 0, 9, 7946)),
            new Message.Alive(Long.MIN_VALUE, 3, addr(192, 168, 1, 2, 65535)),
            new Message.Suspect(1L, 2, 3L),
            new Message.Dead(4L, 5, 4L),
            new Message.Entry(11L, "demand/app=web/pipe=uplink", 1234567890123L, 8, new byte[] {1, 2, 3}),
            new Message.Entry(12L, "k", 0L, 0, new byte[0]),
            new Message.Digest(13L, 99L, 4, 0xdeadbeef, true),
            new Message.Join(),
            new Message.IHave(List.of(new Message.EntryId(21L, -7), new Message.EntryId(Long.MIN_VALUE, Integer.MAX_VALUE))),
            new Message.IWant(List.of(new Message.EntryId(22L, 0))));

    private byte[] packetOf(List<Message> messages, long seq) {
        PacketCodec.PacketBuilder b = codec.newPacket(77L, seq, NOW);
        for (Message m : messages) {
            assertTrue(b.tryAdd(m), "fits: " + m);
        }
        return b.finish();
    }

    @Test
    void everyRecordTypeRoundTrips() {
        byte[] bytes = packetOf(ONE_OF_EACH, 5);
        DecodeResult r = codec.decode(bytes, 0, bytes.length, NOW);
        assertTrue(r.accepted(), r.detail());
        assertEquals(ONE_OF_EACH, r.packet().messages());
        assertEquals(77L, r.packet().sender());
        assertEquals(5L, r.packet().sequence());
        assertEquals(NOW, r.packet().timestampMillis());
        assertEquals(KEY_A.id(), r.packet().keyId());
        assertEquals(0, r.skippedRecords());
    }

    @Property(tries = 300)
    void randomPacketsRoundTrip(@ForAll long seed) {
        Random rnd = new Random(seed);
        List<Message> added = new ArrayList<>();
        byte[] bytes = WireFixtures.randomPacket(codec, rnd, 300, added);
        assertTrue(bytes.length <= 1400, "never above the MTU: " + bytes.length);
        assertTrue(added.size() <= PacketCodec.MAX_RECORDS);
        DecodeResult r = codec.decode(bytes, 0, bytes.length, NOW);
        assertTrue(r.accepted(), r.detail());
        assertEquals(added, r.packet().messages());
    }

    @Test
    void builderStopsAt255Records() {
        PacketCodec big = new PacketCodec(POOL, KeyRing.of(KEY_A), 8000, 30_000);
        PacketCodec.PacketBuilder b = big.newPacket(1, 1, NOW);
        int added = 0;
        while (b.tryAdd(new Message.Ack(added))) {
            added++;
        }
        assertEquals(255, added);
        byte[] bytes = b.finish();
        assertEquals(255, big.decode(bytes, 0, bytes.length, NOW).packet().messages().size());
    }

    @Test
    void builderStopsAtMtu() {
        PacketCodec.PacketBuilder b = codec.newPacket(1, 1, NOW);
        byte[] value = new byte[1000];
        assertTrue(b.tryAdd(new Message.Entry(1, "a", 1, 1, value)));
        assertFalse(b.tryAdd(new Message.Entry(1, "b", 1, 1, value)), "second 1 KB entry does not fit 1400 bytes");
        assertTrue(b.finish().length <= 1400);
    }

    @Test
    void encoderRejectsOversizedKeyAndValue() {
        PacketCodec.PacketBuilder b = codec.newPacket(1, 1, NOW);
        assertThrows(IllegalArgumentException.class, () -> b.tryAdd(new Message.Entry(1, "x".repeat(65), 1, 1, new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> b.tryAdd(new Message.Entry(1, "k", 1, 1, new byte[1025])));
        assertThrows(IllegalArgumentException.class, () -> b.tryAdd(new Message.Entry(1, "", 1, 1, new byte[0])));
    }

    private void assertDropped(DropReason expected, byte[] bytes) {
        DecodeResult r = codec.decode(bytes, 0, bytes.length, NOW);
        assertFalse(r.accepted());
        assertEquals(expected, r.drop(), r.detail());
        assertNull(r.packet());
    }

    /** Rewrites the tag after a test changed header or body bytes, as a peer holding the key would. */
    static byte[] resign(byte[] bytes, PoolKey key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
            mac.update(bytes, 0, bytes.length - PacketCodec.TAG_BYTES);
            byte[] tag = mac.doFinal();
            byte[] out = bytes.clone();
            System.arraycopy(tag, 0, out, bytes.length - PacketCodec.TAG_BYTES, PacketCodec.TAG_BYTES);
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void dropReasonsTable() {
        byte[] good = packetOf(List.of(new Message.Ack(1), new Message.Join()), 1);

        assertDropped(DropReason.TRUNCATED, Arrays.copyOf(good, PacketCodec.HEADER_BYTES + PacketCodec.TAG_BYTES - 1));
        assertDropped(DropReason.TRUNCATED, new byte[0]);
        assertDropped(DropReason.OVERSIZED, new byte[1401]);

        byte[] magic = good.clone();
        magic[0] = 'X';
        assertDropped(DropReason.BAD_MAGIC, magic);

        byte[] v2 = good.clone();
        v2[2] = 2;
        assertDropped(DropReason.UNKNOWN_VERSION, resign(v2, KEY_A));
        byte[] v0 = good.clone();
        v0[2] = 0;
        assertDropped(DropReason.UNKNOWN_VERSION, resign(v0, KEY_A));

        byte[] pool = good.clone();
        pool[7] ^= 1;
        assertDropped(DropReason.WRONG_POOL, resign(pool, KEY_A));

        byte[] tampered = good.clone();
        tampered[PacketCodec.HEADER_BYTES + 3] ^= 0x10; // inside the Ack's seq
        assertDropped(DropReason.BAD_KEY, tampered);

        byte[] badTag = good.clone();
        badTag[badTag.length - 1] ^= 1;
        assertDropped(DropReason.BAD_KEY, badTag);

        byte[] otherKey = PacketCodecTest.resign(good, KEY_B);
        assertDropped(DropReason.BAD_KEY, otherKey);

        byte[] unknownKeyId = good.clone();
        unknownKeyId[8] = 9;
        assertDropped(DropReason.BAD_KEY, resign(unknownKeyId, KEY_A));

        // stray bytes between the last record and the tag
        byte[] stray = Arrays.copyOf(good, good.length + 1);
        System.arraycopy(good, good.length - 16, stray, stray.length - 16, 16);
        stray[good.length - 16] = 0;
        assertDropped(DropReason.MALFORMED, resign(stray, KEY_A));

        // record count claims more records than present
        byte[] count = good.clone();
        count[34] = 3;
        assertDropped(DropReason.TRUNCATED, resign(count, KEY_A));

        // record length beyond the packet
        byte[] len = good.clone();
        len[PacketCodec.HEADER_BYTES + 1] = 0x7f;
        assertDropped(DropReason.TRUNCATED, resign(len, KEY_A));

        // a known record shorter than its fields
        byte[] shortAck = good.clone();
        shortAck[PacketCodec.HEADER_BYTES + 2] = 2; // Ack body claims 2 bytes; 2 stray bytes then parse as garbage
        DecodeResult r = codec.decode(resign(shortAck, KEY_A), 0, shortAck.length, NOW);
        assertFalse(r.accepted());
    }

    @Test
    void clockSkewBeyondLimitIsDroppedWithinIsAccepted() {
        byte[] bytes = packetOf(List.of(new Message.Ack(1)), 1);
        assertTrue(codec.decode(bytes, 0, bytes.length, NOW + 30_000).accepted());
        assertTrue(codec.decode(bytes, 0, bytes.length, NOW - 30_000).accepted());
        DecodeResult late = codec.decode(bytes, 0, bytes.length, NOW + 30_001);
        assertEquals(DropReason.CLOCK_SKEW, late.drop());
        assertEquals(DropReason.CLOCK_SKEW, codec.decode(bytes, 0, bytes.length, NOW - 30_001).drop());
    }

    @Test
    void unknownRecordTypeIsSkippedAndTheRestUsed() {
        // [Ack 1][type 200, 5 bytes][Ack 2]: hand-built, then signed as a newer peer would
        byte[] base = packetOf(List.of(new Message.Ack(1), new Message.Ack(2)), 1);
        int recs = PacketCodec.HEADER_BYTES;
        byte[] unknown = {(byte) 200, 0, 5, 9, 9, 9, 9, 9};
        byte[] out = new byte[base.length + unknown.length];
        System.arraycopy(base, 0, out, 0, recs + 7);
        System.arraycopy(unknown, 0, out, recs + 7, unknown.length);
        System.arraycopy(base, recs + 7, out, recs + 7 + unknown.length, base.length - recs - 7);
        out[34] = 3;
        byte[] signed = resign(out, KEY_A);
        DecodeResult r = codec.decode(signed, 0, signed.length, NOW);
        assertTrue(r.accepted(), r.detail());
        assertEquals(1, r.skippedRecords());
        assertEquals(List.of(new Message.Ack(1), new Message.Ack(2)), r.packet().messages());
    }

    @Test
    void idListWhoseCountExceedsItsBodyOrIsZeroIsMalformed() {
        // IHAVE record claiming 3 ids but carrying 1, and an IWANT with count 0: both dropped whole
        for (int[] typeAndCount : new int[][] {{RecordType.IHAVE, 3}, {RecordType.IWANT, 0}}) {
            byte[] base = packetOf(List.of(new Message.IHave(List.of(new Message.EntryId(1, 2)))), 1);
            int recs = PacketCodec.HEADER_BYTES;
            base[recs] = (byte) typeAndCount[0];
            base[recs + 3] = (byte) typeAndCount[1];
            assertDropped(DropReason.MALFORMED, resign(base, KEY_A));
        }
    }

    @Test
    void knownRecordWithAppendedFieldsIsReadAndTailIgnored() {
        byte[] base = packetOf(List.of(new Message.Ack(5)), 1);
        int recs = PacketCodec.HEADER_BYTES;
        byte[] out = new byte[base.length + 2];
        System.arraycopy(base, 0, out, 0, recs + 7);
        out[recs + 2] = 6; // body 4 -> 6 bytes: a future version appended a field
        out[recs + 7] = 1;
        out[recs + 8] = 2;
        System.arraycopy(base, recs + 7, out, recs + 9, base.length - recs - 7);
        byte[] signed = resign(out, KEY_A);
        DecodeResult r = codec.decode(signed, 0, signed.length, NOW);
        assertTrue(r.accepted(), r.detail());
        assertEquals(List.of(new Message.Ack(5)), r.packet().messages());
    }

    @Test
    void keyRotationAcceptsBothKeysThenOnlyTheNewOne() {
        PacketCodec oldSender = WireFixtures.codec(KeyRing.of(KEY_A));
        PacketCodec newSender = WireFixtures.codec(KeyRing.of(KEY_B, KEY_A));
        PacketCodec receiver = WireFixtures.codec(KeyRing.of(KEY_A, KEY_B));
        byte[] fromOld = oldSender.newPacket(1, 1, NOW).finish();
        byte[] fromNew = newSender.newPacket(2, 1, NOW).finish();
        assertTrue(receiver.decode(fromOld, 0, fromOld.length, NOW).accepted());
        assertTrue(receiver.decode(fromNew, 0, fromNew.length, NOW).accepted());
        assertEquals(KEY_B.id(), receiver.decode(fromNew, 0, fromNew.length, NOW).packet().keyId());

        receiver.setKeys(KeyRing.of(KEY_B));
        assertEquals(DropReason.BAD_KEY, receiver.decode(fromOld, 0, fromOld.length, NOW).drop());
        assertTrue(receiver.decode(fromNew, 0, fromNew.length, NOW).accepted());
    }

    @Test
    void keyValidation() {
        assertThrows(IllegalArgumentException.class, () -> new PoolKey(1, new byte[15]));
        assertThrows(IllegalArgumentException.class, () -> new PoolKey(256, new byte[16]));
        assertThrows(IllegalArgumentException.class, () -> KeyRing.of(KEY_A, new PoolKey(1, new byte[16])));
        assertFalse(KEY_A.toString().contains("0123"), "toString never shows the secret");
    }

    @Test
    void decodeWithOffsetReadsOnlyTheSlice() {
        byte[] bytes = packetOf(List.of(new Message.Ack(3)), 1);
        byte[] framed = new byte[bytes.length + 10];
        System.arraycopy(bytes, 0, framed, 5, bytes.length);
        DecodeResult r = codec.decode(framed, 5, bytes.length, NOW);
        assertTrue(r.accepted(), r.detail());
        assertArrayEquals(new Object[] {new Message.Ack(3)}, r.packet().messages().toArray());
        assertEquals(DropReason.MALFORMED, codec.decode(framed, 20, bytes.length, NOW).drop());
    }
}
