package org.poolwarden.exchange.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poolwarden.exchange.wire.WireFixtures.KEY_A;
import static org.poolwarden.exchange.wire.WireFixtures.NOW;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One million random and mutated packets through the decoder: nothing escapes (an exception would fail the test),
 * nothing unauthenticated is accepted, and decoding has no side effect. Re-signed mutations (what a buggy or hostile
 * peer holding the key could send) exercise the record parser itself.
 */
class DecoderFuzzTest {
    static final int PACKETS = 1_000_000;

    @Test
    void aMillionRandomAndMutatedPacketsNeverThrowAndNeverAuthenticate() {
        PacketCodec codec = WireFixtures.codec(KeyRing.of(KEY_A));
        Random r = new Random(20261123L);
        List<byte[]> corpus = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            corpus.add(WireFixtures.randomPacket(codec, r, 1 + r.nextInt(40)));
        }
        Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
        int acceptedResigned = 0;
        int resignedTotal = 0;
        for (int i = 0; i < PACKETS; i++) {
            int kind = i % 8;
            byte[] original = corpus.get(r.nextInt(corpus.size()));
            byte[] p;
            boolean resigned = false;
            if (kind == 0) {
                p = new byte[r.nextInt(1600)];
                r.nextBytes(p);
            } else if (kind == 1) {
                // valid header prefix, random rest: gets past the cheap checks into the HMAC
                p = original.clone();
                for (int j = PacketCodec.HEADER_BYTES; j < p.length; j++) {
                    p[j] = (byte) r.nextInt();
                }
            } else {
                p = mutate(original, r);
                if (kind >= 5) {
                    if (p.length >= PacketCodec.HEADER_BYTES + PacketCodec.TAG_BYTES) {
                        p = PacketCodecTest.resign(p, KEY_A);
                        resigned = true;
                    }
                }
            }
            DecodeResult res = codec.decode(p, 0, p.length, NOW);
            if (res.accepted()) {
                if (resigned) {
                    acceptedResigned++;
                    assertTrue(res.packet().messages().size() + res.skippedRecords() <= 255);
                } else {
                    // without the key, only an unchanged packet may authenticate
                    assertArrayEquals(original, p, "a mutated packet authenticated");
                }
            } else {
                drops.merge(res.drop(), 1, Integer::sum);
            }
            if (resigned) {
                resignedTotal++;
            }
        }
        // the corpus must still decode exactly as before: decoding changed nothing
        for (byte[] c : corpus) {
            assertTrue(codec.decode(c, 0, c.length, NOW).accepted());
        }
        assertTrue(drops.getOrDefault(DropReason.BAD_KEY, 0) > 100_000, "most garbage fails authentication: " + drops);
        assertTrue(drops.getOrDefault(DropReason.TRUNCATED, 0) > 1000, drops.toString());
        assertTrue(drops.getOrDefault(DropReason.MALFORMED, 0) > 100, drops.toString());
        assertTrue(acceptedResigned > 1000 && acceptedResigned < resignedTotal,
                "re-signed mutations exercise both the accepting and rejecting parser paths: " + acceptedResigned + "/" + resignedTotal);
    }

    static byte[] mutate(byte[] in, Random r) {
        byte[] p = in.clone();
        int ops = 1 + r.nextInt(4);
        for (int k = 0; k < ops; k++) {
            switch (r.nextInt(6)) {
                case 0: // bit flip
                    if (p.length > 0) {
                        int i = r.nextInt(p.length);
                        p[i] ^= (byte) (1 << r.nextInt(8));
                    }
                    break;
                case 1: // random byte, biased to the header and record framing
                    if (p.length > 0) {
                        int i = r.nextBoolean() ? r.nextInt(Math.min(p.length, 45)) : r.nextInt(p.length);
                        p[i] = (byte) r.nextInt();
                    }
                    break;
                case 2: // truncate
                    p = java.util.Arrays.copyOf(p, r.nextInt(p.length + 1));
                    break;
                case 3: { // extend with garbage
                    int add = 1 + r.nextInt(64);
                    byte[] q = java.util.Arrays.copyOf(p, p.length + add);
                    for (int i = p.length; i < q.length; i++) {
                        q[i] = (byte) r.nextInt();
                    }
                    p = q;
                    break;
                }
                case 4: // interesting values in a length or count field
                    if (p.length > 40) {
                        int[] interesting = {0, 1, 0x7f, 0x80, 0xff};
                        p[34 + r.nextInt(Math.min(6, p.length - 35))] = (byte) interesting[r.nextInt(interesting.length)];
                    }
                    break;
                default: { // duplicate a slice in place (record splicing)
                    if (p.length > 8) {
                        int from = r.nextInt(p.length - 4);
                        int len = 1 + r.nextInt(Math.min(32, p.length - from));
                        int to = r.nextInt(p.length - len + 1);
                        System.arraycopy(p.clone(), from, p, to, len);
                    }
                }
            }
        }
        return p;
    }
}
