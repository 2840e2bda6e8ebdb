package org.poolwarden.os;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A raw netlink socket. Thin: it moves bytes; the protocol codecs (rtnetlink, nfnetlink) live in the adapters.
 * Buffers are the caller's; {@link #send} sends {@code position..limit}, {@link #receive} fills from position and
 * returns the byte count. Not thread-safe: one owner at a time.
 */
public final class NetlinkSocket implements AutoCloseable {
    public static final int NETLINK_ROUTE = 0;
    public static final int NETLINK_NETFILTER = 12;
    /** The kernel connector (process events: {@code CN_IDX_PROC}); only in the initial network namespace. */
    public static final int NETLINK_CONNECTOR = 11;

    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int SO_RCVBUFFORCE = 33;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_EXT_ACK = 11;
    static final int SOCKADDR_NL_SIZE = 12;

    private final int protocol;
    private final String name;
    private int fd;
    private final int portId;
    private final ByteBuffer kernelAddress;

    private NetlinkSocket(int protocol, int fd, String name, int groups) {
        this.protocol = protocol;
        this.fd = fd;
        this.name = name;
        LibC c = Native.libc();
        ByteBuffer local = sockaddr(0);
        local.putInt(8, groups);
        try {
            Native.check(c.bind(fd, local, SOCKADDR_NL_SIZE), "bind", name);
            ByteBuffer bound = ByteBuffer.allocateDirect(SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder());
            int[] len = {SOCKADDR_NL_SIZE};
            Native.check(c.getsockname(fd, bound, len), "getsockname", name);
            this.portId = bound.getInt(4);
        } catch (KernelException e) {
            c.close(fd);
            throw e;
        }
        this.kernelAddress = sockaddr(0);
    }

    /** Opens a netlink socket of {@code protocol} in this thread's network namespace. */
    public static NetlinkSocket open(int protocol) {
        String name = "netlink socket (protocol " + protocol + ")";
        int fd = (int) Native.check(Native.libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), "socket", name);
        return new NetlinkSocket(protocol, fd, name, 0);
    }

    /**
     * Opens a netlink socket of {@code protocol} bound to the multicast {@code groups} (a bit mask, {@code nl_groups}
     * of the bind address), in this thread's network namespace.
     */
    public static NetlinkSocket openMulticast(int protocol, int groups) {
        String name = "netlink socket (protocol " + protocol + ", groups " + groups + ")";
        int fd = (int) Native.check(Native.libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), "socket", name);
        return new NetlinkSocket(protocol, fd, name, groups);
    }

    /** Opens a netlink socket bound to the network namespace at {@code netns} ({@code null}: this one). */
    public static NetlinkSocket open(int protocol, Path netns) {
        return Netns.call(netns, () -> open(protocol));
    }

    public int protocol() {
        return protocol;
    }

    /** The port id the kernel assigned at bind time; requests carry it as {@code nlmsg_pid}. */
    public int portId() {
        return portId;
    }

    /** Asks for extended acknowledgements, so kernel errors come with the kernel's own text. */
    public void enableExtendedAck() {
        setIntOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
    }

    public void setReceiveBufferSize(int bytes) {
        setIntOption(SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
    }

    /** Sets the receive buffer above net.core.rmem_max (needs CAP_NET_ADMIN): for bursts of multicast messages. */
    public void forceReceiveBufferSize(int bytes) {
        setIntOption(SOL_SOCKET, SO_RCVBUFFORCE, bytes, "SO_RCVBUFFORCE");
    }

    public void setSendBufferSize(int bytes) {
        setIntOption(SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
    }

    /** A receive that waits longer than this fails with EAGAIN instead of hanging forever. */
    public void setReceiveTimeoutMillis(long millis) {
        int[] timeval = {(int) (millis / 1000), 0, (int) ((millis % 1000) * 1000), 0};
        Native.check(Native.libc().setsockopt(requireOpen(), SOL_SOCKET, SO_RCVTIMEO, timeval, 16), "setsockopt SO_RCVTIMEO", name);
    }

    /** Sends the bytes between the buffer's position and limit to the kernel as one datagram. */
    public void send(ByteBuffer message) {
        int len = message.remaining();
        long sent = Native.check(Native.libc().sendto(requireOpen(), message, len, 0, kernelAddress, SOCKADDR_NL_SIZE),
                "sendmsg", name);
        if (sent != len) {
            throw new KernelException("sendmsg", name, Errno.EMSGSIZE, "sent " + sent + " of " + len + " bytes");
        }
        message.position(message.limit());
    }

    /**
     * Receives one datagram into the buffer from its position; returns its length and leaves the buffer's limit at
     * the end of the datagram. A datagram larger than the space left fails with EMSGSIZE rather than being cut.
     */
    public int receive(ByteBuffer into) {
        int n = receive(into, MSG_TRUNC /* report the real size */);
        return n;
    }

    /**
     * Like {@link #receive} but never waits: returns -1 when no datagram is queued. A multicast listener that fell
     * behind gets {@code KernelException} with {@link Errno#ENOBUFS} once (messages were dropped); the socket stays
     * usable and the next call returns what came after.
     */
    public int tryReceive(ByteBuffer into) {
        return receive(into, MSG_TRUNC | MSG_DONTWAIT);
    }

    private int receive(ByteBuffer into, int flags) {
        int room = into.remaining();
        int[] addrLen = {SOCKADDR_NL_SIZE};
        ByteBuffer from = ByteBuffer.allocate(SOCKADDR_NL_SIZE);
        long n;
        do {
            n = Native.libc().recvfrom(requireOpen(), into, room, flags, from, addrLen);
        } while (n < 0 && Native.lastErrno() == Errno.EINTR);
        if (n < 0 && (flags & MSG_DONTWAIT) != 0 && Native.lastErrno() == Errno.EAGAIN) return -1;
        Native.check(n, "recvmsg", name);
        if (n > room) {
            throw new KernelException("recvmsg", name, Errno.EMSGSIZE,
                    "datagram of " + n + " bytes does not fit a buffer of " + room);
        }
        into.limit(into.position() + (int) n);
        return (int) n;
    }

    @Override
    public void close() {
        if (fd >= 0) {
            Native.libc().close(fd);
            fd = -1;
        }
    }

    public boolean isOpen() {
        return fd >= 0;
    }

    private int requireOpen() {
        if (fd < 0) {
            throw new IllegalStateException(name + " is closed");
        }
        return fd;
    }

    private void setIntOption(int level, int option, int value, String optionName) {
        Native.check(Native.libc().setsockopt(requireOpen(), level, option, new int[] {value}, 4),
                "setsockopt " + optionName, name);
    }

    private static ByteBuffer sockaddr(int pid) {
        ByteBuffer b = ByteBuffer.allocateDirect(SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) AF_NETLINK);
        b.putInt(4, pid);
        b.putInt(8, 0);
        return b;
    }
}
