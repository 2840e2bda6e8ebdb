package org.poolwarden.nft;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;
import org.poolwarden.os.NetlinkSocket;

/** The cheap reads of nf_tables over a NETLINK_NETFILTER socket: generation id and one table's counters. */
final class NfTablesNetlink implements AutoCloseable {
    private final NetlinkSocket socket;
    private final ByteBuffer out = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    NfTablesNetlink(Path netns) {
        this.socket = NetlinkSocket.open(NetlinkSocket.NETLINK_NETFILTER, netns);
        socket.setReceiveTimeoutMillis(5000);
    }

    /** The ruleset generation: it changes with every committed nf_tables transaction in this namespace. */
    long generation() {
        int s = ++seq;
        out.clear();
        NfTablesMessages.getGeneration(out, s);
        out.flip();
        socket.send(out);
        while (true) {
            for (NfTablesMessages.Message m : receive()) {
                if (m.seq() != s) {
                    continue;
                }
                if (m.isError()) {
                    throw new KernelException("nft getgen", "", m.errno());
                }
                return NfTablesMessages.generation(m);
            }
        }
    }

    /** Counter name → value for the named counters of {@code inet table}; empty when the table does not exist. */
    Map<String, Traffic> counters(String table) {
        int s = ++seq;
        out.clear();
        NfTablesMessages.dumpCounters(out, s, table);
        out.flip();
        socket.send(out);
        Map<String, Traffic> result = new LinkedHashMap<>();
        while (true) {
            for (NfTablesMessages.Message m : receive()) {
                if (m.seq() != s) {
                    continue;
                }
                if (m.isDone()) {
                    return result;
                }
                if (m.isError()) {
                    if (m.errno() == Errno.ENOENT) {
                        return result;
                    }
                    throw new KernelException("nft dump counters", "inet " + table, m.errno());
                }
                NfTablesMessages.Counter c = NfTablesMessages.counter(m);
                if (c != null && c.table().equals(table)) {
                    result.put(c.name(), c.traffic());
                }
            }
        }
    }

    private java.util.List<NfTablesMessages.Message> receive() {
        in.clear();
        int n = socket.receive(in);
        in.position(0).limit(n);
        return NfTablesMessages.messages(in);
    }

    @Override
    public void close() {
        socket.close();
    }
}
