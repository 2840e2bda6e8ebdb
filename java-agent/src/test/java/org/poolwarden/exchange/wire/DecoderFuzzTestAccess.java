package org.poolwarden.exchange.wire;

import java.util.Random;

/** Lets tests in other packages reuse the fuzz mutator. */
public final class DecoderFuzzTestAccess {
    private DecoderFuzzTestAccess() {
    }

    /** Appends a record of an unknown type (as a newer peer would send) and re-signs with {@code key}. */
    public static byte[] withUnknownRecord(byte[] packet, PoolKey key) {
        int body = packet.length - PacketCodec.TAG_BYTES;
        byte[] out = new byte[packet.length + 5];
        System.arraycopy(packet, 0, out, 0, body);
        out[body] = (byte) 250;
        out[body + 1] = 0;
        out[body + 2] = 2;
        out[34]++;
        return PacketCodecTest.resign(out, key);
    }

    public static byte[] mutate(byte[] in, Random r) {
        return DecoderFuzzTest.mutate(in, r);
    }
}
