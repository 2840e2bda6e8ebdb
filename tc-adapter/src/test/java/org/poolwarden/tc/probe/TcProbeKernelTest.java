package org.poolwarden.tc.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.Netns;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.netlink.RtnetlinkChannel;
import org.poolwarden.testing.KernelTest;

@KernelTest
class TcProbeKernelTest {
    @Test
    void everyFeatureThisMachineHasIsReportedWorking() throws Exception {
        // This kernel is built with HTB, ingress, IFB, cls_u32, cls_bpf and act_mirred (see /proc/config.gz).
        TcSupport s = TcProbe.probe();
        for (TcSupport.Feature f : s.all()) {
            assertTrue(f.works(), f.toString());
            assertNull(f.reason(), f.name());
        }
        assertTrue(s.sufficient());
        assertTrue(s.failures().isEmpty());
    }

    @Test
    void probeLeavesNothingBehindInTheHostNamespace() throws Exception {
        TcProbe.probe();
        assertFalse(Files.exists(Path.of("/sys/class/net", TcProbe.IFB_NAME)), "the probe ifb lived in the scratch netns");
    }

    @Test
    void aFailedStepIsReportedWithTheKernelsReasonAndItsDependentsToo() throws Exception {
        // The probe's IFB name is taken already, so creating it fails with EEXIST; mirred depends on it.
        TcSupport s = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                new Links(ch).createIfb(TcProbe.IFB_NAME);
            }
            return TcProbe.probeHere();
        });
        assertTrue(s.htb().works());
        assertFalse(s.ifb().works());
        assertTrue(s.ifb().reason().contains("EEXIST"), s.ifb().reason());
        assertFalse(s.mirred().works());
        assertTrue(s.mirred().reason().contains("ifb"), s.mirred().reason());
        assertFalse(s.sufficient());
        assertEquals(2, s.failures().size());
    }
}
