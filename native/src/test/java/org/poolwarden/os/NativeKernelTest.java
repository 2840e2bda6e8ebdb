package org.poolwarden.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelTest;

/** The bindings against the real kernel, each inside a scratch network namespace that the kernel frees itself. */
@KernelTest(libraries = "libnftables.so.1")
class NativeKernelTest {
    static final short RTM_GETLINK = 18;
    static final short RTM_NEWLINK = 16;
    static final short NLMSG_DONE = 3;
    static final short NLM_F_REQUEST = 1;
    static final short NLM_F_DUMP = 0x300;

    @Test
    void rootIsSeen() {
        assertEquals(0, Native.geteuid());
        assertTrue(Native.getpid() > 1);
    }

    @Test
    void dumpsLinksOverRtnetlinkInAScratchNamespace() throws Exception {
        // A fresh namespace has exactly one link: lo. Dumping it proves socket, bind, sendto and recvfrom work.
        int links = Netns.callInScratch(() -> {
            try (NetlinkSocket s = NetlinkSocket.open(NetlinkSocket.NETLINK_ROUTE)) {
                assertTrue(s.portId() != 0, "kernel assigns a port id at bind");
                ByteBuffer req = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
                req.putInt(32).putShort(RTM_GETLINK).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP)).putInt(1).putInt(0);
                req.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0); // ifinfomsg
                req.flip();
                s.send(req);
                int count = 0;
                ByteBuffer rx = ByteBuffer.allocateDirect(65536).order(ByteOrder.nativeOrder());
                while (true) {
                    rx.clear();
                    s.receive(rx);
                    int off = 0;
                    while (off + 16 <= rx.limit()) {
                        int len = rx.getInt(off);
                        short type = rx.getShort(off + 4);
                        if (type == NLMSG_DONE) {
                            return count;
                        }
                        assertEquals(RTM_NEWLINK, type);
                        assertEquals(1, rx.getInt(off + 8), "sequence echoed");
                        count++;
                        off += (len + 3) & ~3;
                    }
                }
            }
        });
        assertEquals(1, links, "a new network namespace holds only lo");
    }

    @Test
    void setnsEntersAndLeavesANamespace() throws Exception {
        Path self = Path.of("/proc/thread-self/ns/net");
        String here = Files.readSymbolicLink(self).toString();
        // A scratch thread's own namespace, entered from this thread by /proc/TID/ns/net while it is alive.
        String[] inside = new String[1];
        Netns.callInScratch(() -> {
            Path scratch = Path.of("/proc/self/task/" + Native.gettid() + "/ns/net");
            Thread t = new Thread(() -> Netns.run(scratch, () -> {
                try {
                    inside[0] = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }));
            t.start();
            t.join();
            return null;
        });
        assertNotEquals(here, inside[0], "the body ran in the other namespace");
        assertEquals(here, Files.readSymbolicLink(self).toString(), "and the thread came back");
    }

    @Test
    void setnsToAMissingNamespaceNamesThePathAndErrno() {
        KernelException e = assertThrows(KernelException.class,
                () -> Netns.run(Path.of("/run/netns/poolwarden-does-not-exist"), () -> { }));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/run/netns/poolwarden-does-not-exist"), e.getMessage());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void nftablesTransactionIsAtomicAndReportsItsOwnError() throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open()) {
                nft.run("add table inet pwtest\nadd chain inet pwtest c\nadd counter inet pwtest hits");
                String listed = nft.run("list table inet pwtest");
                assertTrue(listed.contains("\"name\": \"c\"") || listed.contains("\"name\":\"c\""), listed);
                assertTrue(listed.contains("\"metainfo\""), "JSON output is on: " + listed);

                // The second command fails, so the first must not be applied either.
                KernelException e = assertThrows(KernelException.class,
                        () -> nft.run("add chain inet pwtest d\nadd rule inet pwtest nosuchchain accept"));
                assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
                assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
                String after = nft.run("list table inet pwtest");
                assertTrue(!after.contains("\"name\": \"d\"") && !after.contains("\"name\":\"d\""),
                        "failed batch left nothing behind: " + after);

                // JSON input goes through the same call.
                nft.run("{\"nftables\": [{\"add\": {\"chain\": {\"family\": \"inet\", \"table\": \"pwtest\", \"name\": \"j\"}}}]}");
                assertTrue(nft.run("list chain inet pwtest j").contains("\"j\""));

                KernelException syntax = assertThrows(KernelException.class, () -> nft.run("add tabel inet x"));
                assertTrue(syntax.getMessage().startsWith("nft add tabel inet x failed: Error: syntax error"),
                        syntax.getMessage());
            }
            return null;
        });
    }
}
