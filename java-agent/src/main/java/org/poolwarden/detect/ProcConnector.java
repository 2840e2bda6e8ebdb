package org.poolwarden.detect;

import java.nio.ByteBuffer;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;
import org.poolwarden.os.NetlinkSocket;

/**
 * Process events from the kernel's proc connector ({@code NETLINK_CONNECTOR}, group {@code CN_IDX_PROC}): fork,
 * exec, uid/gid/sid/name changes and exits of every process on the host, as they happen. Needs root
 * (CAP_NET_ADMIN) and the initial network namespace (the connector exists only there); {@link #open} fails
 * otherwise and the detector then walks /proc every tick as before.
 *
 * <p>Events wait in the socket's receive buffer between slow ticks and are drained without blocking. The buffer is
 * forced to {@link #RECEIVE_BUFFER_BYTES}; a burst beyond it (a fork storm of thousands of threads) makes the kernel
 * drop events and report ENOBUFS, which is passed on as {@link ProcChanges#markLost lost}: the next scan reads all of
 * /proc. Not thread-safe: the control thread owns it.
 */
public final class ProcConnector implements ProcessEvents {
    /**
     * 8 MiB: each event takes about 768 bytes of socket memory (the skb, not the 76 bytes of message), so this holds
     * about 10,000 events, 5,000 per second at the 2 s tick. Kernel memory, only while events wait.
     */
    public static final int RECEIVE_BUFFER_BYTES = 8 << 20;

    private final NetlinkSocket socket;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    private long datagrams, events, overruns, skipped, failures;
    private volatile boolean closed;

    private ProcConnector(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** Subscribes to the host's process events. */
    public static ProcConnector open() {
        NetlinkSocket s = NetlinkSocket.openMulticast(NetlinkSocket.NETLINK_CONNECTOR, ProcEventCodec.CN_IDX_PROC);
        try {
            try {
                s.forceReceiveBufferSize(RECEIVE_BUFFER_BYTES);
            } catch (KernelException e) {
                s.setReceiveBufferSize(RECEIVE_BUFFER_BYTES); // capped at net.core.rmem_max: overruns come sooner
            }
            s.send(ProcEventCodec.subscribe(true, 1, s.portId()));
            return new ProcConnector(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public void drainInto(ProcChanges into) {
        if (!drain(into::add)) into.markLost();
    }

    /**
     * Passes every event received since the last call to {@code each}, without waiting; false when some were lost
     * since (an overrun, ENOBUFS) or the socket failed.
     */
    public boolean drain(java.util.function.Consumer<ProcEventCodec.ProcEvent> each) {
        boolean complete = true;
        while (true) {
            buf.clear();
            int n;
            try {
                n = socket.tryReceive(buf);
            } catch (KernelException e) {
                complete = false;
                if (e.errno() == Errno.ENOBUFS) {
                    overruns++;
                    continue; // the socket goes on with what came after the drop
                }
                failures++;
                return false;
            } catch (RuntimeException e) {
                failures++;
                return false;
            }
            if (n < 0) return complete; // drained
            datagrams++;
            buf.position(0);
            ProcEventCodec.Decoded d = ProcEventCodec.decode(buf);
            skipped += d.skipped();
            for (ProcEventCodec.ProcEvent e : d.events()) {
                events++;
                each.accept(e);
            }
        }
    }

    /** Datagrams and events received, overruns (ENOBUFS), messages skipped as unreadable, receive failures. */
    public long datagrams() {
        return datagrams;
    }

    public long events() {
        return events;
    }

    public long overruns() {
        return overruns;
    }

    public long skipped() {
        return skipped;
    }

    public long failures() {
        return failures;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            socket.send(ProcEventCodec.subscribe(false, 2, socket.portId()));
        } catch (RuntimeException e) {
            // closing anyway; the kernel forgets the listener with the socket
        }
        socket.close();
    }
}
