package org.poolwarden.exchange.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared keys, codecs and random messages for the wire tests. */
public final class WireFixtures {
    public static final int POOL = 0x0A0B0C0D;
    public static final long NOW = 1_780_000_000_000L;
    public static final PoolKey KEY_A = new PoolKey(1, "0123456789abcdef-key-A".getBytes(StandardCharsets.US_ASCII));
    public static final PoolKey KEY_B = new PoolKey(2, "0123456789abcdef-key-B".getBytes(StandardCharsets.US_ASCII));

    private WireFixtures() {
    }

    public static PacketCodec codec(KeyRing ring) {
        return new PacketCodec(POOL, ring, 1400, 30_000);
    }

    public static InetSocketAddress addr(int a, int b, int c, int d, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static InetSocketAddress randomAddress(Random r) {
        try {
            byte[] ip = new byte[r.nextBoolean() ? 4 : 16];
            r.nextBytes(ip);
            return new InetSocketAddress(InetAddress.getByAddress(ip), r.nextInt(65536));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static String randomKey(Random r) {
        int n = 1 + r.nextInt(20);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(r.nextInt(10) == 0 ? 'é' : (char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }

    public static Message randomMessage(Random r) {
        switch (r.nextInt(12)) {
            case 0: return new Message.Ping(r.nextInt(), r.nextLong());
            case 1: return new Message.Ack(r.nextInt());
            case 2: return new Message.Nack(r.nextInt());
            case 3: return new Message.PingReq(r.nextInt(), r.nextLong(), randomAddress(r));
            case 4: return new Message.Alive(r.nextLong(), r.nextInt(), randomAddress(r));
            case 5: return new Message.Suspect(r.nextLong(), r.nextInt(), r.nextLong());
            case 6: return new Message.Dead(r.nextLong(), r.nextInt(), r.nextLong());
            case 7: {
                byte[] v = new byte[r.nextInt(r.nextBoolean() ? 40 : 300)];
                r.nextBytes(v);
                return new Message.Entry(r.nextLong(), randomKey(r), r.nextLong(), r.nextInt(256), v);
            }
            case 8: return new Message.Digest(r.nextLong(), r.nextLong(), r.nextInt(), r.nextInt(), r.nextBoolean());
            case 10: return new Message.IHave(randomIds(r));
            case 11: return new Message.IWant(randomIds(r));
            default: return new Message.Join();
        }
    }

    static java.util.List<Message.EntryId> randomIds(Random r) {
        int n = 1 + r.nextInt(r.nextBoolean() ? 4 : 60);
        java.util.List<Message.EntryId> ids = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(new Message.EntryId(r.nextLong(), r.nextInt()));
        }
        return ids;
    }

    /** A valid packet holding as many random messages (up to {@code max}) as fit. */
    public static byte[] randomPacket(PacketCodec codec, Random r, int max, List<Message> added) {
        PacketCodec.PacketBuilder b = codec.newPacket(r.nextLong(), r.nextLong() & Long.MAX_VALUE, NOW);
        int n = 1 + r.nextInt(max);
        for (int i = 0; i < n; i++) {
            Message m = randomMessage(r);
            if (b.tryAdd(m)) {
                added.add(m);
            }
        }
        return b.finish();
    }

    public static byte[] randomPacket(PacketCodec codec, Random r, int max) {
        return randomPacket(codec, r, max, new ArrayList<>());
    }
}
