package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Golden bytes from the kernel's uapi (linux/netfilter/nf_tables.h, nfnetlink.h), x86-64 byte order. */
class NfTablesMessagesTest {
    private static String hex(ByteBuffer b, int len) {
        byte[] raw = new byte[len];
        b.get(0, raw);
        return HexFormat.of().formatHex(raw);
    }

    @Test
    void getGenerationRequest() {
        ByteBuffer b = ByteBuffer.allocate(64);
        int len = NfTablesMessages.getGeneration(b, 7);
        assertEquals(20, len);
        // len=20 | type 0x0a10 (NFNL_SUBSYS_NFTABLES<<8 | NFT_MSG_GETGEN) | flags REQUEST | seq 7 | pid 0 | AF_UNSPEC v0 res 0
        assertEquals("14000000" + "100a" + "0100" + "07000000" + "00000000" + "00000000", hex(b, len));
    }

    @Test
    void dumpCountersRequest() {
        ByteBuffer b = ByteBuffer.allocate(64);
        int len = NfTablesMessages.dumpCounters(b, 1, "poolwarden");
        assertEquals(44, len);
        assertEquals("2c000000" + "130a" + "0103" + "01000000" + "00000000" + "01000000"
                // NFTA_OBJ_TABLE "poolwarden\0" (15 bytes + 1 pad), NFTA_OBJ_TYPE = NFT_OBJECT_COUNTER (big-endian)
                + "0f000100" + "706f6f6c77617264656e0000"
                + "08000300" + "00000001", hex(b, len));
    }

    static ByteBuffer message(int type, int flags, int seq, byte[]... attrs) {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        b.put((byte) 1).put((byte) 0).putShort((short) 0);
        for (byte[] a : attrs) {
            b.put(a);
        }
        b.putInt(0, b.position());
        return b.flip();
    }

    static byte[] attr(int type, byte[] data) {
        int len = 4 + data.length;
        ByteBuffer b = ByteBuffer.allocate(NfTablesMessages.align(len)).order(ByteOrder.nativeOrder());
        b.putShort((short) len).putShort((short) type).put(data);
        return b.array();
    }

    static byte[] be32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    static byte[] be64(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    @Test
    void counterObjectsAndTheGenerationDecode() {
        byte[] counterData = concat(attr(1, be64(123456789012L)), attr(2, be64(4242)));
        ByteBuffer obj = message(0x0a12, 2, 9,
                attr(1, "poolwarden\0".getBytes()), attr(2, "app_web\0".getBytes()), attr(3, be32(1)),
                attr(4 | 0x8000, counterData), attr(6, be64(3)));
        ByteBuffer done = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        done.putInt(20).putShort((short) 3).putShort((short) 2).putInt(9).putInt(0).putInt(0).flip();
        ByteBuffer both = ByteBuffer.allocate(obj.remaining() + 20).put(obj).put(done).flip();
        List<NfTablesMessages.Message> ms = NfTablesMessages.messages(both);
        assertEquals(2, ms.size());
        assertEquals(new NfTablesMessages.Counter("poolwarden", "app_web", new Traffic(4242, 123456789012L)),
                NfTablesMessages.counter(ms.get(0)));
        assertTrue(ms.get(1).isDone());

        ByteBuffer quota = message(0x0a12, 2, 9, attr(1, "poolwarden\0".getBytes()), attr(2, "q\0".getBytes()),
                attr(3, be32(2)));
        assertNull(NfTablesMessages.counter(NfTablesMessages.messages(quota).get(0)));

        ByteBuffer gen = message(0x0a0f, 0, 5, attr(1, be32(0xfffffffe)), attr(2, be32(77)));
        assertEquals(0xfffffffeL, NfTablesMessages.generation(NfTablesMessages.messages(gen).get(0)));
    }

    @Test
    void truncatedMessagesAreRejected() {
        ByteBuffer gen = message(0x0a0f, 0, 5, attr(1, be32(1)));
        ByteBuffer cut = gen.slice(0, gen.remaining() - 2);
        assertThrows(IllegalArgumentException.class, () -> NfTablesMessages.messages(cut));
    }

    /** Random bytes behind a plausible nf_tables header, so the decoder really walks them. */
    @Property(tries = 2000)
    void garbageNeverEscapesAsAnythingButIllegalArgument(@ForAll @Size(max = 120) byte[] junk,
                                                         @ForAll boolean gen) {
        ByteBuffer b = ByteBuffer.allocate(16 + junk.length).order(ByteOrder.nativeOrder());
        b.putInt(16 + junk.length).putShort((short) (gen ? 0x0a0f : 0x0a12)).putShort((short) 0).putInt(0).putInt(0)
                .put(junk).flip();
        try {
            for (NfTablesMessages.Message m : NfTablesMessages.messages(b)) {
                NfTablesMessages.counter(m);
                if (m.nftType() == NfTablesMessages.NFT_MSG_NEWGEN) {
                    NfTablesMessages.generation(m);
                }
            }
        } catch (IllegalArgumentException expected) {
            // rejected with a reason: fine
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
