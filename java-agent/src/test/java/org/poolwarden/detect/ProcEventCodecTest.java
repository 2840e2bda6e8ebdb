package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.poolwarden.detect.ProcEventCodec.Kind;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;

class ProcEventCodecTest {
    static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HexFormat.of().formatHex(a);
    }

    @Test
    void subscribeIsWhatTheKernelExpects() {
        // Little-endian hosts (x86-64, arm64): nlmsghdr{40, NLMSG_DONE, 0, seq 1, port 77}, cn_msg{1, 1, 1, 0, len 4,
        // 0}, PROC_CN_MCAST_LISTEN; the same as libc-based listeners (e.g. forkstat) send.
        org.junit.jupiter.api.Assumptions.assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
        assertEquals("28000000" + "0300" + "0000" + "01000000" + "4d000000"
                        + "01000000" + "01000000" + "01000000" + "00000000" + "0400" + "0000" + "01000000",
                hex(ProcEventCodec.subscribe(true, 1, 77)));
        assertTrue(hex(ProcEventCodec.subscribe(false, 2, 77)).endsWith("02000000"), "PROC_CN_MCAST_IGNORE");
    }

    @Test
    void decodesAForkAsTheKernelLaysItOut() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
        // A fork of 4321 by 1000 (cn_proc.h: what, cpu, timestamp_ns, parent_pid, parent_tgid, child_pid, child_tgid)
        String msg = "4c000000" + "0300" + "0000" + "05000000" + "00000000"
                + "01000000" + "01000000" + "05000000" + "00000000" + "2800" + "0000"
                + "01000000" + "01000000" + "0011223344556677"
                + "e8030000" + "e8030000" + "e1100000" + "e1100000" + "0000000000000000"; // rest of the union
        ProcEventCodec.Decoded d = ProcEventCodec.decode(ByteBuffer.wrap(HexFormat.of().parseHex(msg)));
        assertEquals(List.of(new ProcEvent(Kind.FORK, 4321, 4321, 1000, 1000, 0, null)), d.events());
        assertEquals(0, d.skipped());
    }

    /** Every kind the detector uses: encode as the kernel does, decode, same event. */
    @Test
    void everyKindRoundTrips() {
        List<ProcEvent> table = List.of(
                new ProcEvent(Kind.FORK, 200, 200, 100, 100, 0, null),
                new ProcEvent(Kind.FORK, 201, 200, 200, 200, 0, null), // a new thread
                new ProcEvent(Kind.EXEC, 200, 200, 0, 0, 0, null),
                new ProcEvent(Kind.UID, 200, 200, 0, 0, 33, null),
                new ProcEvent(Kind.GID, 201, 200, 0, 0, 333, null),
                new ProcEvent(Kind.SID, 200, 200, 0, 0, 0, null),
                new ProcEvent(Kind.COMM, 200, 200, 0, 0, 0, "worker-15chars!"),
                new ProcEvent(Kind.COMM, 200, 200, 0, 0, 0, ""),
                new ProcEvent(Kind.PTRACE, 200, 200, 300, 300, 0, null),
                new ProcEvent(Kind.COREDUMP, 200, 200, 100, 100, 0, null),
                new ProcEvent(Kind.EXIT, 200, 200, 100, 100, 256, null),
                new ProcEvent(Kind.NONZERO_EXIT, 200, 200, 100, 100, 1, null),
                new ProcEvent(Kind.ACK, 0, 0, 0, 0, 0, null));
        for (ProcEvent e : table) {
            ProcEventCodec.Decoded d = ProcEventCodec.decode(ProcEventCodec.encode(e, 9));
            assertEquals(List.of(e), d.events(), e.toString());
            assertEquals(0, d.skipped());
        }
    }

    @Test
    void skipsWhatIsNotAProcEvent() {
        ByteBuffer fork = ProcEventCodec.encode(new ProcEvent(Kind.FORK, 2, 2, 1, 1, 0, null), 1);
        // another connector index (e.g. CN_IDX_CIFS)
        ByteBuffer other = copy(fork);
        other.putInt(ProcEventCodec.NLMSG_HDRLEN, 2);
        assertEquals(new ProcEventCodec.Decoded(List.of(), 1), ProcEventCodec.decode(other));
        // an event type this code does not know
        ByteBuffer unknown = copy(fork);
        unknown.putInt(ProcEventCodec.NLMSG_HDRLEN + ProcEventCodec.CN_MSG_LEN, 0x8);
        assertEquals(new ProcEventCodec.Decoded(List.of(), 1), ProcEventCodec.decode(unknown));
        // cut short: the length says more than the datagram has
        ByteBuffer cut = copy(fork).limit(fork.limit() - 4);
        assertEquals(new ProcEventCodec.Decoded(List.of(), 1), ProcEventCodec.decode(cut));
        // cn_msg.len larger than the message
        ByteBuffer lying = copy(fork);
        lying.putShort(ProcEventCodec.NLMSG_HDRLEN + 16, (short) 500);
        assertEquals(new ProcEventCodec.Decoded(List.of(), 1), ProcEventCodec.decode(lying));
    }

    static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining()).order(ByteOrder.nativeOrder());
        c.put(b.duplicate()).flip();
        return c;
    }

    @Property
    void decodeNeverThrowsOnGarbage(@ForAll @Size(max = 300) byte[] bytes) {
        ProcEventCodec.Decoded d = ProcEventCodec.decode(ByteBuffer.wrap(bytes));
        assertTrue(d.skipped() >= 0 && d.events().size() <= bytes.length / 52);
    }

    @Property
    void concatenatedMessagesAllComeOut(@ForAll("events") List<ProcEvent> events) {
        List<ByteBuffer> parts = new ArrayList<>();
        int len = 0;
        for (int i = 0; i < events.size(); i++) {
            ByteBuffer b = ProcEventCodec.encode(events.get(i), i);
            parts.add(b);
            len += b.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(len);
        for (ByteBuffer b : parts) all.put(b);
        all.flip();
        ProcEventCodec.Decoded d = ProcEventCodec.decode(all);
        assertEquals(events, d.events());
        assertEquals(0, d.skipped());
    }

    @Property
    void anyPrefixDecodesToAPrefixOfTheEvents(@ForAll("events") List<ProcEvent> events,
                                              @ForAll @IntRange(min = 0, max = 1000) int cut) {
        ByteBuffer all = ByteBuffer.allocate(events.size() * 100);
        for (int i = 0; i < events.size(); i++) all.put(ProcEventCodec.encode(events.get(i), i));
        all.flip();
        all.limit(Math.min(all.limit(), cut));
        List<ProcEvent> got = ProcEventCodec.decode(all).events();
        assertEquals(events.subList(0, got.size()), got);
        assertFalse(got.size() > events.size());
    }

    @Provide
    Arbitrary<List<ProcEvent>> events() {
        Arbitrary<Integer> pid = Arbitraries.integers().between(1, 4_194_304);
        Arbitrary<ProcEvent> e = Combinators.combine(
                Arbitraries.of(Kind.FORK, Kind.EXEC, Kind.UID, Kind.GID, Kind.SID, Kind.EXIT), pid, pid, pid,
                Arbitraries.integers().between(0, 65535)).as((k, p, t, parent, id) -> switch (k) {
                    case FORK -> new ProcEvent(k, p, t, parent, parent, 0, null);
                    case EXIT -> new ProcEvent(k, p, t, parent, parent, id, null);
                    case UID, GID -> new ProcEvent(k, p, t, 0, 0, id, null);
                    default -> new ProcEvent(k, p, t, 0, 0, 0, null);
                });
        return e.list().ofMaxSize(20);
    }
}
