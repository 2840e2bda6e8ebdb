package org.poolwarden.pool.share;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.poolwarden.exchange.wire.MessageCodec;
import org.poolwarden.pool.policy.VersionedPolicy;

/**
 * Values of the share entries: {@code type u8 | format u8 | fields}. Demand: {@code interval i64 | booked f64 |
 * unbooked f64 | activeClasses i32 | booking f64}; the booking was appended later and is left out when it equals the
 * booked bytes, so a value without it (from an older agent, or a host booking nothing) decodes with booking = booked,
 * what such an agent was reserved before. Policy: {@code version i64 | deleted u8 | origin str16 | body str16}, where
 * str16 is a u16 length and UTF-8 bytes. The entry key carries the pipe or policy key. Decoding checks framing only
 * (lengths, type, UTF-8, policy record invariants); demand numbers pass as doubles so NaN and negatives reach the
 * allocator, which rejects them with a counted reason. Never throws anything but the checked exception.
 */
public final class ShareCodec {

    /** The demand fields every agent writes; {@link #DEMAND_BOOKING_BYTES} with the booking appended (if written). */
    static final int DEMAND_BYTES = 2 + 8 + 8 + 8 + 4;
    static final int DEMAND_BOOKING_BYTES = DEMAND_BYTES + 8;

    private ShareCodec() {
    }

    public static String demandKey(String pipeId) {
        return ShareValueType.DEMAND_PREFIX + pipeId;
    }

    public static String policyKey(String policyKey) {
        return ShareValueType.POLICY_PREFIX + policyKey;
    }

    /** Checks at configuration time that keys fit the exchange's limit. */
    static void requireKey(String entryKey, String what) {
        int n = entryKey.getBytes(StandardCharsets.UTF_8).length;
        if (n > MessageCodec.MAX_KEY_BYTES) {
            throw new IllegalArgumentException(what + " '" + entryKey + "' is " + n + " bytes as an exchange key, at most "
                    + MessageCodec.MAX_KEY_BYTES + " allowed");
        }
    }

    /**
     * The booking is written only when it differs from the booked bytes: a value without it decodes with booking =
     * booked, which is exact for the hosts that book nothing (booked is then 0) and for those whose booked classes
     * are backlogged. Entry size decides how many entries a gossip packet carries: the 8 bytes on every host's
     * entry slowed the spread of the simultaneous onset of demand at 128 hosts enough to raise its worst second
     * from 8.1% to 10.3% (java-agent README, "the worst second").
     */
    public static byte[] encodeDemand(PipeDemandEntry d) {
        boolean withBooking = Double.compare(d.bookingBytes(), d.bookedBytes()) != 0;
        ByteBuffer b = ByteBuffer.allocate(withBooking ? DEMAND_BOOKING_BYTES : DEMAND_BYTES);
        b.put((byte) ShareValueType.PIPE_DEMAND).put((byte) ShareValueType.FORMAT);
        b.putLong(d.interval()).putDouble(d.bookedBytes()).putDouble(d.unbookedBytes()).putInt(d.activeClasses());
        if (withBooking) {
            b.putDouble(d.bookingBytes());
        }
        return b.array();
    }

    public static PipeDemandEntry decodeDemand(String pipeId, byte[] v) throws MalformedShareValueException {
        header(v, ShareValueType.PIPE_DEMAND);
        if (v.length < DEMAND_BYTES) {
            throw new MalformedShareValueException("demand value is " + v.length + " bytes, needs " + DEMAND_BYTES);
        }
        ByteBuffer b = ByteBuffer.wrap(v, 2, v.length - 2);
        long interval = b.getLong();
        double booked = b.getDouble();
        double unbooked = b.getDouble();
        int active = b.getInt();
        double booking = v.length >= DEMAND_BOOKING_BYTES ? b.getDouble() : booked;
        return new PipeDemandEntry(pipeId, interval, booked, unbooked, active, booking);
    }

    public static byte[] encodePolicy(VersionedPolicy p) {
        byte[] origin = p.originId().getBytes(StandardCharsets.UTF_8);
        byte[] body = p.body().getBytes(StandardCharsets.UTF_8);
        if (origin.length > 0xffff || body.length > 0xffff) {
            throw new IllegalArgumentException("policy " + p.key() + ": origin or body too long");
        }
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + 1 + 2 + origin.length + 2 + body.length);
        b.put((byte) ShareValueType.POLICY).put((byte) ShareValueType.FORMAT);
        b.putLong(p.version()).put((byte) (p.deleted() ? 1 : 0));
        b.putShort((short) origin.length).put(origin).putShort((short) body.length).put(body);
        byte[] out = b.array();
        if (out.length > MessageCodec.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("policy " + p.key() + ": encoded copy is " + out.length
                    + " bytes, the exchange carries at most " + MessageCodec.MAX_VALUE_BYTES);
        }
        return out;
    }

    public static VersionedPolicy decodePolicy(String policyKey, byte[] v) throws MalformedShareValueException {
        header(v, ShareValueType.POLICY);
        ByteBuffer b = ByteBuffer.wrap(v, 2, v.length - 2);
        try {
            long version = b.getLong();
            int deleted = b.get();
            if (deleted != 0 && deleted != 1) {
                throw new MalformedShareValueException("policy " + policyKey + ": deleted flag " + deleted);
            }
            String origin = str16(b);
            String body = str16(b);
            if (deleted == 1 && !body.isEmpty()) {
                throw new MalformedShareValueException("policy " + policyKey + ": a deletion with a body");
            }
            return new VersionedPolicy(policyKey, version, origin, body, deleted == 1);
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedShareValueException("policy " + policyKey + ": value truncated at byte " + b.position());
        } catch (IllegalArgumentException e) {
            throw new MalformedShareValueException(e.getMessage());
        }
    }

    /** {@code cores f64 | n u16 | n x (app str16 | instances i32)}, apps sorted. */
    public static byte[] encodeHostCpu(HostCpuEntry c) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer head = ByteBuffer.allocate(2 + 8 + 2);
        head.put((byte) ShareValueType.HOST_CPU).put((byte) ShareValueType.FORMAT).putDouble(c.cores())
                .putShort((short) c.instances().size());
        out.writeBytes(head.array());
        for (java.util.Map.Entry<String, Integer> e : c.instances().entrySet()) {
            byte[] app = e.getKey().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(2 + app.length + 4);
            b.putShort((short) app.length).put(app).putInt(e.getValue());
            out.writeBytes(b.array());
        }
        byte[] v = out.toByteArray();
        if (v.length > MessageCodec.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("host cpu entry: " + c.instances().size() + " apps make " + v.length
                    + " bytes, the exchange carries at most " + MessageCodec.MAX_VALUE_BYTES);
        }
        return v;
    }

    public static HostCpuEntry decodeHostCpu(byte[] v) throws MalformedShareValueException {
        header(v, ShareValueType.HOST_CPU);
        ByteBuffer b = ByteBuffer.wrap(v, 2, v.length - 2);
        try {
            double cores = b.getDouble();
            int n = b.getShort() & 0xffff;
            java.util.TreeMap<String, Integer> inst = new java.util.TreeMap<>();
            for (int i = 0; i < n; i++) {
                String app = str16(b);
                int count = b.getInt();
                if (app.isBlank() || inst.put(app, count) != null) {
                    throw new MalformedShareValueException("host cpu: app '" + app + "' blank or listed twice");
                }
            }
            return new HostCpuEntry(cores, inst);
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedShareValueException("host cpu: value truncated at byte " + b.position());
        }
    }

    /** The type code of a value, or -1 for an empty one. */
    public static int type(byte[] v) {
        return v.length == 0 ? -1 : v[0] & 0xff;
    }

    private static void header(byte[] v, int type) throws MalformedShareValueException {
        if (v.length < 2) {
            throw new MalformedShareValueException("value is " + v.length + " bytes, shorter than its header");
        }
        if ((v[0] & 0xff) != type) {
            throw new MalformedShareValueException("value type " + (v[0] & 0xff) + ", expected " + type);
        }
        if ((v[1] & 0xff) < 1) {
            throw new MalformedShareValueException("value format " + (v[1] & 0xff));
        }
    }

    private static String str16(ByteBuffer b) throws MalformedShareValueException {
        int n = b.getShort() & 0xffff;
        if (n > b.remaining()) {
            throw new MalformedShareValueException("string of " + n + " bytes with " + b.remaining() + " left");
        }
        ByteBuffer slice = b.slice();
        slice.limit(n);
        b.position(b.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedShareValueException("string is not UTF-8");
        }
    }
}
