package org.poolwarden.enforce;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.poolwarden.config.FlowRule;
import org.poolwarden.detect.Socket;
import org.poolwarden.os.KernelException;
import org.poolwarden.os.NetlinkSocket;

/**
 * Per-socket TCP byte counters from the kernel's sock_diag (NETLINK_SOCK_DIAG, {@code tcp_info}): what monitor mode
 * measures bandwidth with, since it may not put anything into the kernel (no nftables counter, no qdisc). Read-only.
 * Payload bytes only ({@code tcpi_bytes_acked} out, {@code tcpi_bytes_received} in): no headers, no UDP; bytes of a
 * socket that closed between two samples are not seen. The codec ({@link #request}, {@link #parse}) is pure.
 */
public final class SockDiag implements AutoCloseable {
    static final int NETLINK_SOCK_DIAG = 4;
    static final int SOCK_DIAG_BY_FAMILY = 20;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_DUMP = 0x300;
    static final int INET_DIAG_INFO = 2;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int IPPROTO_TCP = 6;
    static final int MSG_LEN = 72;
    /** Offsets in struct tcp_info (linux/tcp.h): stable, the struct only grows at its end. */
    static final int TCPI_BYTES_ACKED = 120;
    static final int TCPI_BYTES_RECEIVED = 128;

    /** One TCP socket: its identity and payload bytes acknowledged (out) and received (in) over its life. */
    public record Entry(Socket socket, long cookie, long bytesAcked, long bytesReceived) {}

    private final NetlinkSocket nl;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
    private int seq;

    private SockDiag(NetlinkSocket nl) {
        this.nl = nl;
    }

    /** @param netns the namespace to read (null: this thread's) */
    public static SockDiag open(Path netns) {
        NetlinkSocket s = netns == null ? NetlinkSocket.open(NETLINK_SOCK_DIAG)
                : NetlinkSocket.open(NETLINK_SOCK_DIAG, netns);
        s.setReceiveTimeoutMillis(2000);
        return new SockDiag(s);
    }

    /** Every TCP socket of the namespace, IPv4 and IPv6. */
    public List<Entry> tcp() {
        List<Entry> out = new ArrayList<>();
        for (int family : new int[] {AF_INET, AF_INET6}) {
            int s = ++seq;
            buf.clear();
            request(buf, family, s);
            buf.flip();
            nl.send(buf);
            boolean done = false;
            while (!done) {
                buf.clear();
                nl.receive(buf);
                done = parse(buf, s, out);
            }
        }
        return out;
    }

    /** A dump request for every TCP socket of a family with tcp_info; written at the buffer's position. */
    static void request(ByteBuffer b, int family, int seq) {
        b.order(ByteOrder.nativeOrder());
        b.putInt(16 + 56).putShort((short) SOCK_DIAG_BY_FAMILY).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP))
                .putInt(seq).putInt(0);
        b.put((byte) family).put((byte) IPPROTO_TCP).put((byte) (1 << (INET_DIAG_INFO - 1))).put((byte) 0);
        b.putInt(0xffffffff); // every state
        for (int i = 0; i < 48; i++) b.put((byte) 0); // inet_diag_sockid: no filter
    }

    /**
     * Decodes one datagram of a dump (from position to limit); appends sockets to {@code out}.
     *
     * @return true when the dump is complete
     * @throws KernelException when the kernel answered with an error
     * @throws IllegalArgumentException on a malformed message
     */
    static boolean parse(ByteBuffer b, int seq, List<Entry> out) {
        b.order(ByteOrder.nativeOrder());
        int pos = b.position();
        int end = b.limit();
        while (pos + 16 <= end) {
            int len = b.getInt(pos);
            int type = b.getShort(pos + 4) & 0xffff;
            if (len < 16 || pos + len > end) throw new IllegalArgumentException("netlink message of " + len
                    + " bytes at " + pos + " overruns the datagram of " + end);
            if (b.getInt(pos + 8) == seq) {
                if (type == NLMSG_DONE) return true;
                if (type == NLMSG_ERROR) {
                    int errno = -b.getInt(pos + 16);
                    if (errno == 0) return true;
                    throw new KernelException("sock_diag dump", "tcp sockets", errno);
                }
                if (type == SOCK_DIAG_BY_FAMILY && len >= 16 + MSG_LEN) out.add(entry(b, pos + 16, pos + len));
            }
            pos += (len + 3) & ~3;
        }
        return false;
    }

    private static Entry entry(ByteBuffer b, int m, int end) {
        int family = b.get(m) & 0xff;
        int state = b.get(m + 1) & 0xff;
        int sport = Short.toUnsignedInt(Short.reverseBytes(b.getShort(m + 4)));
        int dport = Short.toUnsignedInt(Short.reverseBytes(b.getShort(m + 6)));
        if (b.order() == ByteOrder.BIG_ENDIAN) {
            sport = Short.toUnsignedInt(b.getShort(m + 4));
            dport = Short.toUnsignedInt(b.getShort(m + 6));
        }
        int alen = family == AF_INET ? 4 : 16;
        byte[] src = new byte[alen];
        byte[] dst = new byte[alen];
        for (int i = 0; i < alen; i++) {
            src[i] = b.get(m + 8 + i);
            dst[i] = b.get(m + 24 + i);
        }
        long cookie = (b.getInt(m + 44) & 0xffffffffL) | ((long) b.getInt(m + 48) << 32);
        int uid = b.getInt(m + 64);
        long inode = b.getInt(m + 68) & 0xffffffffL;
        long acked = 0, received = 0;
        int a = m + MSG_LEN;
        while (a + 4 <= end) {
            int alenAttr = b.getShort(a) & 0xffff;
            int atype = b.getShort(a + 2) & 0xffff;
            if (alenAttr < 4 || a + alenAttr > end) break;
            if (atype == INET_DIAG_INFO && alenAttr - 4 >= TCPI_BYTES_RECEIVED + 8) {
                acked = b.getLong(a + 4 + TCPI_BYTES_ACKED);
                received = b.getLong(a + 4 + TCPI_BYTES_RECEIVED);
            }
            a += (alenAttr + 3) & ~3;
        }
        return new Entry(new Socket(FlowRule.Protocol.TCP, src, sport, dst, dport, state, uid, inode), cookie, acked,
                received);
    }

    @Override
    public void close() {
        nl.close();
    }
}
