package org.poolwarden.tc.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.poolwarden.os.KernelException;
import org.poolwarden.os.NetlinkSocket;

/**
 * Requests and dumps over one NETLINK_ROUTE socket. Owns one send and one receive buffer (allocated once, so the
 * 50 ms reconcile path allocates nothing per message). Callers write requests with {@link #begin()} and send them
 * with {@link #execute(String)} (every message acknowledged) or {@link #dump(String, Consumer)}.
 *
 * <p>Several messages may go in one request; the kernel handles them in order and acknowledges each, failing ones
 * included, so the first failure is reported after all acknowledgements are read (the socket stays in step).
 * Not thread-safe.
 */
public final class RtnetlinkChannel implements AutoCloseable {
    /** Large enough for any tc dump datagram (the kernel caps them at 32 KiB) with room to spare. */
    static final int RECEIVE_BUFFER = 256 * 1024;
    static final int SEND_BUFFER = 64 * 1024;
    /** A kernel that has not answered in this long is not going to; fail instead of hanging the control loop. */
    static final long RECEIVE_TIMEOUT_MILLIS = 5_000;

    private final NetlinkSocket socket;
    private final String name;
    private final ByteBuffer tx = ByteBuffer.allocateDirect(SEND_BUFFER).order(ByteOrder.nativeOrder());
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RECEIVE_BUFFER).order(ByteOrder.nativeOrder());
    private final NetlinkWriter writer = new NetlinkWriter(tx);
    private final Attributes errorAttrs = new Attributes(8);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private final int[] pendingSeqs = new int[1024];

    private long requests;
    private long messagesSent;
    private long failures;
    private long dumps;
    private long strayMessages;
    private String lastWarning;
    private long warnings;

    private RtnetlinkChannel(NetlinkSocket socket, String name) {
        this.socket = socket;
        this.name = name;
    }

    /** Opens a channel in the network namespace at {@code netns}, or in this thread's one when {@code null}. */
    public static RtnetlinkChannel open(Path netns) {
        NetlinkSocket s = netns == null ? NetlinkSocket.open(NetlinkSocket.NETLINK_ROUTE)
                : NetlinkSocket.open(NetlinkSocket.NETLINK_ROUTE, netns);
        try {
            s.enableExtendedAck();
            s.setReceiveTimeoutMillis(RECEIVE_TIMEOUT_MILLIS);
            s.setReceiveBufferSize(1 << 20);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return new RtnetlinkChannel(s, "rtnetlink" + (netns == null ? "" : " in " + netns));
    }

    public static RtnetlinkChannel open() {
        return open(null);
    }

    /** Clears the send buffer and returns the writer for a new request. */
    public NetlinkWriter begin() {
        tx.clear();
        return writer;
    }

    /** A fresh sequence number for the next message. */
    public int nextSeq() {
        seq = (seq + 1) & 0x7fffffff;
        if (seq == 0) {
            seq = 1;
        }
        return seq;
    }

    /**
     * Sends the request written since {@link #begin()} and waits for the acknowledgement of every message in it
     * that asked for one (NLM_F_ACK). Throws the first failure as a {@link KernelException} carrying the kernel's
     * extended-ack text.
     */
    public void execute(String target) {
        tx.flip();
        int expected = collectAckedSeqs();
        requests++;
        socket.send(tx);
        KernelException first = null;
        int acked = 0;
        while (acked < expected) {
            rx.clear();
            socket.receive(rx);
            int[] outcome = {0};
            KernelException[] err = {null};
            NetlinkMessage.forEach(rx, 0, rx.limit(), m -> {
                if (m.type() != Rtnl.NLMSG_ERROR || indexOfPending(m.seq(), expected) < 0) {
                    strayMessages++;
                    return;
                }
                outcome[0]++;
                KernelException e = errorOf(m, target);
                if (e != null && err[0] == null) {
                    err[0] = e;
                }
            });
            acked += outcome[0];
            if (err[0] != null && first == null) {
                first = err[0];
            }
        }
        if (first != null) {
            failures++;
            throw first;
        }
    }

    /**
     * Sends one request that asked for an acknowledgement (NLM_F_ACK) and hands every reply message before the
     * acknowledgement to {@code each} (a GET by name answers with one message, then the ack).
     */
    public void transact(String target, Consumer<NetlinkMessage> each) {
        tx.flip();
        int reqSeq = tx.getInt(8);
        requests++;
        messagesSent++;
        socket.send(tx);
        KernelException[] err = {null};
        boolean[] done = {false};
        while (!done[0]) {
            rx.clear();
            socket.receive(rx);
            NetlinkMessage.forEach(rx, 0, rx.limit(), m -> {
                if (m.seq() != reqSeq || done[0]) {
                    strayMessages++;
                } else if (m.type() == Rtnl.NLMSG_ERROR) {
                    done[0] = true;
                    err[0] = errorOf(m, target);
                } else {
                    each.accept(m);
                }
            });
        }
        if (err[0] != null) {
            failures++;
            throw err[0];
        }
    }

    /**
     * Sends the dump request written since {@link #begin()} and hands every reply message to {@code each}.
     * Returns false when the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR: the table changed while it
     * was read), in which case the caller should discard what it got and dump again.
     */
    public boolean dump(String target, Consumer<NetlinkMessage> each) {
        tx.flip();
        int dumpSeq = tx.getInt(8);
        dumps++;
        socket.send(tx);
        boolean[] done = {false};
        boolean[] consistent = {true};
        KernelException[] err = {null};
        while (!done[0]) {
            rx.clear();
            socket.receive(rx);
            NetlinkMessage.forEach(rx, 0, rx.limit(), m -> {
                if (m.seq() != dumpSeq || done[0]) {
                    strayMessages++;
                    return;
                }
                if ((m.flags() & Rtnl.NLM_F_DUMP_INTR) != 0) {
                    consistent[0] = false;
                }
                switch (m.type()) {
                    case Rtnl.NLMSG_DONE -> {
                        done[0] = true;
                        int code = m.length() >= Rtnl.NLMSG_HDRLEN + 4 ? rx.getInt(m.payload()) : 0;
                        if (code < 0) {
                            err[0] = new KernelException("dump", target, -code);
                        }
                    }
                    case Rtnl.NLMSG_ERROR -> {
                        done[0] = true;
                        err[0] = errorOf(m, target);
                    }
                    case Rtnl.NLMSG_NOOP, Rtnl.NLMSG_OVERRUN -> strayMessages++;
                    default -> each.accept(m);
                }
            });
        }
        if (err[0] != null) {
            failures++;
            throw err[0];
        }
        return consistent[0];
    }

    /** The kernel's last warning (extended-ack text on a successful request), or null. */
    public String lastWarning() {
        return lastWarning;
    }

    /** How many successful requests came back with a kernel warning (e.g. HTB's "quantum is big"). */
    public long warnings() {
        return warnings;
    }

    public long requests() {
        return requests;
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long failures() {
        return failures;
    }

    public long dumps() {
        return dumps;
    }

    public long strayMessages() {
        return strayMessages;
    }

    @Override
    public void close() {
        socket.close();
    }

    private int collectAckedSeqs() {
        int[] n = {0};
        NetlinkMessage.forEach(tx, 0, tx.limit(), m -> {
            messagesSent++;
            if ((m.flags() & Rtnl.NLM_F_ACK) != 0) {
                if (n[0] == pendingSeqs.length) {
                    throw new IllegalArgumentException("more than " + pendingSeqs.length + " messages in one request");
                }
                pendingSeqs[n[0]++] = m.seq();
            }
        });
        return n[0];
    }

    private int indexOfPending(int s, int count) {
        for (int i = 0; i < count; i++) {
            if (pendingSeqs[i] == s) {
                return i;
            }
        }
        return -1;
    }

    /** Null for a plain acknowledgement, otherwise the error with the kernel's text. */
    private KernelException errorOf(NetlinkMessage m, String target) {
        NetlinkAck ack = NetlinkAck.decode(m, errorAttrs);
        if (ack.ok()) {
            if (ack.message() != null) {
                lastWarning = ack.message();
                warnings++;
            }
            return null;
        }
        String op = ack.originalType() >= 0 ? Rtnl.typeName(ack.originalType()) : "rtnetlink request";
        return new KernelException(op, target, ack.errno(), ack.message());
    }

    @Override
    public String toString() {
        return name;
    }
}
