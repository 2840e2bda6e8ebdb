package org.poolwarden.detect;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's process connector on the wire (linux/connector.h, linux/cn_proc.h): the subscribe message and the
 * decoding of event datagrams. Pure: no I/O, host byte order (netlink is host-endian).
 *
 * <p>A datagram holds netlink messages ({@code nlmsghdr}, 16 bytes), each carrying a {@code cn_msg} (20 bytes:
 * id idx/val, seq, ack, len, flags) whose payload is one {@code struct proc_event}: what (u32), cpu (u32),
 * timestamp_ns (u64, 8-aligned), then the event's fields at offset 16. Decoding never throws on bad input: a
 * message that is cut short, of another connector, or of an unknown event type is skipped and counted by the caller
 * through {@link Decoded#skipped}.
 */
public final class ProcEventCodec {
    public static final int NLMSG_HDRLEN = 16;
    public static final int CN_MSG_LEN = 20;
    /** {@code NLMSG_DONE}: what connector messages are sent as. */
    static final int NLMSG_DONE = 3;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_NOOP = 1;
    /** {@code CN_IDX_PROC}, also the multicast group to bind to; {@code CN_VAL_PROC}. */
    public static final int CN_IDX_PROC = 1;
    public static final int CN_VAL_PROC = 1;
    /** {@code enum proc_cn_mcast_op}. */
    public static final int PROC_CN_MCAST_LISTEN = 1;
    public static final int PROC_CN_MCAST_IGNORE = 2;
    /** Fields of every proc_event start here: after what, cpu and the 8-aligned timestamp. */
    static final int EVENT_DATA = 16;

    /** {@code enum proc_event.what} values we decode (append-only in the kernel). */
    public enum Kind {
        ACK(0), FORK(0x1), EXEC(0x2), UID(0x4), PTRACE(0x100), GID(0x40), SID(0x80), COMM(0x200),
        NONZERO_EXIT(0x20000000), COREDUMP(0x40000000), EXIT(0x80000000);

        final int what;

        Kind(int what) {
            this.what = what;
        }

        static Kind of(int what) {
            for (Kind k : values()) if (k.what == what) return k;
            return null;
        }
    }

    /**
     * One event. {@code pid}/{@code tgid}: the thread and process it is about (for FORK: the child); {@code parentPid}
     * / {@code parentTgid}: FORK's parent, EXIT's parent (kernels that send it; else 0); {@code id}: the effective uid
     * (UID) or gid (GID), the exit code (EXIT), the error (ACK); {@code comm}: the new name (COMM), else null.
     */
    public record ProcEvent(Kind kind, int pid, int tgid, int parentPid, int parentTgid, int id, String comm) {
        /** About a whole process (its main thread), not one of its other threads. */
        public boolean isProcess() {
            return pid == tgid;
        }
    }

    /** The events of one datagram, and how many messages in it were not proc events or could not be read. */
    public record Decoded(List<ProcEvent> events, int skipped) {}

    private ProcEventCodec() {}

    /** The message that subscribes ({@code listen}) or unsubscribes a socket bound to {@link #CN_IDX_PROC}. */
    public static ByteBuffer subscribe(boolean listen, int seq, int portId) {
        int len = NLMSG_HDRLEN + CN_MSG_LEN + 4;
        ByteBuffer b = ByteBuffer.allocateDirect(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putShort((short) NLMSG_DONE).putShort((short) 0).putInt(seq).putInt(portId);
        b.putInt(CN_IDX_PROC).putInt(CN_VAL_PROC).putInt(seq).putInt(0).putShort((short) 4).putShort((short) 0);
        b.putInt(listen ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE);
        return b.flip();
    }

    /** Decodes the datagram between the buffer's position and limit (the buffer's position is not moved). */
    public static Decoded decode(ByteBuffer datagram) {
        ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
        List<ProcEvent> out = new ArrayList<>(2);
        int skipped = 0;
        int at = b.position();
        int end = b.limit();
        while (end - at >= NLMSG_HDRLEN) {
            int len = b.getInt(at);
            int type = b.getShort(at + 4) & 0xffff;
            if (len < NLMSG_HDRLEN || len > end - at) {
                skipped++; // a length that does not fit: nothing after it can be trusted
                break;
            }
            ProcEvent e = type == NLMSG_DONE ? event(b, at + NLMSG_HDRLEN, len - NLMSG_HDRLEN) : null;
            if (e != null) out.add(e);
            else if (type != NLMSG_NOOP) skipped++;
            at += (len + 3) & ~3; // NLMSG_ALIGN
        }
        if (end - at > 0 && end - at < NLMSG_HDRLEN) skipped++;
        return new Decoded(out, skipped);
    }

    /** One cn_msg with a proc_event at {@code at} in {@code room} bytes; null when it is not one we can read. */
    private static ProcEvent event(ByteBuffer b, int at, int room) {
        if (room < CN_MSG_LEN) return null;
        int idx = b.getInt(at), val = b.getInt(at + 4);
        int dataLen = b.getShort(at + 16) & 0xffff;
        if (idx != CN_IDX_PROC || val != CN_VAL_PROC || dataLen > room - CN_MSG_LEN) return null;
        int p = at + CN_MSG_LEN;
        if (dataLen < EVENT_DATA) return null;
        Kind kind = Kind.of(b.getInt(p));
        if (kind == null) return null;
        int d = p + EVENT_DATA;
        int fields = dataLen - EVENT_DATA;
        switch (kind) {
            case ACK:
                return fields < 4 ? null : new ProcEvent(kind, 0, 0, 0, 0, b.getInt(d), null);
            case FORK:
                // parent_pid, parent_tgid, child_pid, child_tgid
                return fields < 16 ? null
                        : new ProcEvent(kind, b.getInt(d + 8), b.getInt(d + 12), b.getInt(d), b.getInt(d + 4), 0, null);
            case EXEC:
            case SID:
                return fields < 8 ? null : new ProcEvent(kind, b.getInt(d), b.getInt(d + 4), 0, 0, 0, null);
            case UID:
            case GID:
                // process_pid, process_tgid, real id, effective id
                return fields < 16 ? null
                        : new ProcEvent(kind, b.getInt(d), b.getInt(d + 4), 0, 0, b.getInt(d + 12), null);
            case PTRACE:
                return fields < 16 ? null
                        : new ProcEvent(kind, b.getInt(d), b.getInt(d + 4), b.getInt(d + 8), b.getInt(d + 12), 0, null);
            case COMM: {
                if (fields < 8 + 16) return null;
                int n = 0;
                while (n < 16 && b.get(d + 8 + n) != 0) n++;
                byte[] name = new byte[n];
                b.get(d + 8, name);
                return new ProcEvent(kind, b.getInt(d), b.getInt(d + 4), 0, 0, 0,
                        new String(name, StandardCharsets.UTF_8));
            }
            case COREDUMP:
                return fields < 8 ? null : new ProcEvent(kind, b.getInt(d), b.getInt(d + 4),
                        fields >= 16 ? b.getInt(d + 8) : 0, fields >= 16 ? b.getInt(d + 12) : 0, 0, null);
            case EXIT:
            case NONZERO_EXIT:
                // process_pid, process_tgid, exit_code, exit_signal, then parent_pid, parent_tgid (since 4.x)
                return fields < 16 ? null : new ProcEvent(kind, b.getInt(d), b.getInt(d + 4),
                        fields >= 24 ? b.getInt(d + 16) : 0, fields >= 24 ? b.getInt(d + 20) : 0, b.getInt(d + 8),
                        null);
            default:
                return null;
        }
    }

    /** {@code sizeof(struct proc_event)}: the kernel always sends the whole union (its largest member: 24 bytes). */
    static final int PROC_EVENT_SIZE = EVENT_DATA + 24;

    /** Encodes one event as the kernel sends it (tests, fakes): nlmsghdr + cn_msg + proc_event. */
    public static ByteBuffer encode(ProcEvent e, int seq) {
        int dataLen = PROC_EVENT_SIZE;
        int len = NLMSG_HDRLEN + CN_MSG_LEN + dataLen;
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putShort((short) NLMSG_DONE).putShort((short) 0).putInt(seq).putInt(0);
        b.putInt(CN_IDX_PROC).putInt(CN_VAL_PROC).putInt(seq).putInt(0).putShort((short) dataLen).putShort((short) 0);
        b.putInt(e.kind().what).putInt(0).putLong(1_000_000L * seq);
        switch (e.kind()) {
            case ACK -> b.putInt(e.id());
            case FORK -> b.putInt(e.parentPid()).putInt(e.parentTgid()).putInt(e.pid()).putInt(e.tgid());
            case EXEC, SID -> b.putInt(e.pid()).putInt(e.tgid());
            case UID, GID -> b.putInt(e.pid()).putInt(e.tgid()).putInt(e.id()).putInt(e.id());
            case PTRACE, COREDUMP -> b.putInt(e.pid()).putInt(e.tgid()).putInt(e.parentPid()).putInt(e.parentTgid());
            case COMM -> {
                b.putInt(e.pid()).putInt(e.tgid());
                byte[] n = e.comm().getBytes(StandardCharsets.UTF_8);
                b.put(java.util.Arrays.copyOf(n, 16));
            }
            case EXIT, NONZERO_EXIT -> b.putInt(e.pid()).putInt(e.tgid()).putInt(e.id()).putInt(17)
                    .putInt(e.parentPid()).putInt(e.parentTgid());
            default -> throw new IllegalArgumentException("cannot encode " + e.kind());
        }
        b.position(len); // the rest of the union stays zero
        return b.flip();
    }
}
