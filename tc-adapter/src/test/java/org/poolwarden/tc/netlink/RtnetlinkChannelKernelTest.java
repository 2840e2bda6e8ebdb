package org.poolwarden.tc.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;
import org.poolwarden.os.Netns;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.qdisc.QdiscMessages;
import org.poolwarden.testing.KernelTest;

@KernelTest
class RtnetlinkChannelKernelTest {
    static final int ROOT = TcMessages.handle(1, 0);

    @Test
    void errorsCarryTheKernelsExtendedAckText() throws Exception {
        KernelException e = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                int lo = new Links(ch).require("lo").index();
                QdiscMessages.writeDeleteQdisc(ch.begin(), ch.nextSeq(), lo, ROOT, Rtnl.TC_H_ROOT);
                return assertThrows(KernelException.class, () -> ch.execute("qdisc 1: on lo"));
            }
        });
        assertEquals("RTM_DELQDISC", e.operation());
        assertEquals("qdisc 1: on lo", e.target());
        assertTrue(e.errno() != 0);
        assertTrue(e.getMessage().length() > ("RTM_DELQDISC qdisc 1: on lo failed: " + e.errnoName()).length() + 10,
                "extended ack text appended: " + e.getMessage());
    }

    @Test
    void batchedRequestReportsTheFailingMessageAfterReadingEveryAck() throws Exception {
        int classes = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                int lo = new Links(ch).require("lo").index();
                NetlinkWriter w = ch.begin();
                QdiscMessages.writeHtbQdisc(w, TcMessages.ADD, ch.nextSeq(), lo, ROOT, Rtnl.TC_H_ROOT, 10, 0);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), lo, TcMessages.handle(1, 1), ROOT,
                        HtbClassOptions.of(1000, 1000), 10, Psched.MODERN);
                // same class again: EEXIST
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), lo, TcMessages.handle(1, 1), ROOT,
                        HtbClassOptions.of(1000, 1000), 10, Psched.MODERN);
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), lo, TcMessages.handle(1, 2), ROOT,
                        HtbClassOptions.of(1000, 1000), 10, Psched.MODERN);
                KernelException e = assertThrows(KernelException.class, () -> ch.execute("tree on lo"));
                assertEquals(Errno.EEXIST, e.errno());
                assertEquals("RTM_NEWTCLASS", e.operation());
                // the socket is still in step: a dump now sees both classes (the one after the failure too)
                return dumpClasses(ch, lo).size();
            }
        });
        assertEquals(2, classes);
    }

    @Test
    void multiPartDumpCollectsEveryClass() throws Exception {
        int n = 600; // ~700 bytes each in a dump: many datagrams
        List<Integer> handles = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                int lo = new Links(ch).require("lo").index();
                NetlinkWriter w = ch.begin();
                QdiscMessages.writeHtbQdisc(w, TcMessages.ADD, ch.nextSeq(), lo, ROOT, Rtnl.TC_H_ROOT, 10, 0);
                ch.execute("htb on lo");
                for (int i = 1; i <= n; i++) {
                    QdiscMessages.writeHtbClass(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo, TcMessages.handle(1, i),
                            ROOT, HtbClassOptions.of(1000L * i, 1000L * i), 10, Psched.MODERN);
                    ch.execute("class");
                }
                long dumpsBefore = ch.dumps();
                List<Integer> out = dumpClasses(ch, lo);
                assertEquals(dumpsBefore + 1, ch.dumps());
                return out;
            }
        });
        assertEquals(n, handles.size());
        for (int i = 1; i <= n; i++) {
            assertTrue(handles.contains(TcMessages.handle(1, i)), "class 1:" + Integer.toHexString(i));
        }
    }

    @Test
    void kernelWarningsOnSuccessAreKeptAndCounted() throws Exception {
        String warning = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                int lo = new Links(ch).require("lo").index();
                QdiscMessages.writeHtbQdisc(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo, ROOT, Rtnl.TC_H_ROOT, 10, 0);
                ch.execute("htb on lo");
                assertEquals(0, ch.warnings());
                NetlinkWriter w = ch.begin();
                QdiscMessages.writeHtbClass(w, TcMessages.ADD, ch.nextSeq(), lo, TcMessages.handle(1, 1), ROOT,
                        HtbClassOptions.of(12_500_000, 12_500_000), 10, Psched.MODERN, false);
                // quantum 0 leaves it to rate/r2q = 1250000 bytes, which the kernel warns about (what tc does
                // without "quantum"); PARMS payload starts after nlmsghdr, tcmsg, kind and two attribute headers
                w.buffer().putInt(16 + 20 + 8 + 4 + 4 + 32, 0);
                ch.execute("class 1:1");
                assertEquals(1, ch.warnings());
                return ch.lastWarning();
            }
        });
        assertTrue(warning.contains("quantum of class 10001 is big"), warning);
    }

    @Test
    void getOfAMissingLinkIsEmptyNotAnError() throws Exception {
        var missing = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                Links links = new Links(ch);
                assertNotNull(links.require("lo"));
                return links.find("nosuchdev0");
            }
        });
        assertTrue(missing.isEmpty());
    }

    static List<Integer> dumpClasses(RtnetlinkChannel ch, int ifindex) {
        List<Integer> out = new ArrayList<>();
        QdiscMessages.writeDumpClasses(ch.begin(), ch.nextSeq(), ifindex);
        assertTrue(ch.dump("classes", m -> {
            assertEquals(Rtnl.RTM_NEWTCLASS, m.type());
            out.add(m.tcHandle());
        }));
        return out;
    }
}
