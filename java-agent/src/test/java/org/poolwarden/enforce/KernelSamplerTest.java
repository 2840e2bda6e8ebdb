package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.os.KernelException;
import org.poolwarden.store.Sample;

class KernelSamplerTest {
    static final long S = 1_000_000_000L;
    @TempDir
    Path proc;
    final FakeHost host = new FakeHost(FakeHost.TWO_APPS);

    void stat(int pid, long utime, long stime) throws Exception {
        Files.createDirectories(proc.resolve(Integer.toString(pid)));
        // fields 14/15 utime/stime, 22 starttime (here 4242)
        Files.writeString(proc.resolve(pid + "/stat"), pid + " (busy loop) R 1 1 1 0 -1 4194304 0 0 0 0 " + utime
                + " " + stime + " 0 0 20 0 1 0 4242 0 0\n");
    }

    static Map<String, Double> byKey(List<Sample> samples) {
        return samples.stream().collect(Collectors.toMap(s -> s.subject() + " " + s.metric(), Sample::value));
    }

    @Test
    void monitorModeMeasuresCpuFromTheProcessesAndCreatesNothing() throws Exception {
        KernelEnforcer e = host.enforcer();
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2);
        stat(100, 100, 50);
        stat(101, 0, 0);
        stat(200, 10, 0);
        assertEquals(List.of(), s.sample(host.inventory(), 0), "the first sample only sets the baseline");
        stat(100, 250, 100); // +200 ticks = 2 s of CPU
        stat(101, 50, 0);    // +0.5 s
        stat(200, 60, 0);    // +0.5 s
        Map<String, Double> m = byKey(s.sample(host.inventory(), 2 * S));
        assertEquals(1.25, m.get("web cpu.cores"), 1e-9);
        assertEquals(62.5, m.get("web cpu.percent"), 1e-9, "of a 2-CPU host");
        assertEquals(0.25, m.get("batch cpu.cores"), 1e-9);
        assertTrue(host.nothingOfOurs(), "sampling changed nothing: " + host.snapshot());
    }

    @Test
    void enforcedAppsAreMeasuredByTheirCgroupAndHtbClass() throws Exception {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2);
        s.sample(host.inventory(), 10 * S);
        host.cpu.consume("web", 3 * S, 0, 0);
        host.cpu.consume("batch", S, S / 2, 7);
        host.tc.count("eth0", DesiredKernel.FIRST_APP_MINOR, 7_500_000, 5000);
        host.tc.count("eth0", DesiredKernel.FIRST_APP_MINOR + 1, 2_500_000, 2000);
        Map<String, Double> m = byKey(s.sample(host.inventory(), 12 * S));
        assertEquals(1.5, m.get("web cpu.cores"), 1e-9);
        assertEquals(0.5, m.get("batch cpu.cores"), 1e-9);
        assertEquals(0.5, m.get("batch cpu.throttled_s"), 1e-9);
        assertEquals(30e6, m.get("web pipe.uplink.out.bits_per_s"), 1e-3);
        assertEquals(10e6, m.get("batch pipe.uplink.out.bits_per_s"), 1e-3);
    }

    @Test
    void withTheDetectorCpuTimesComeFromItsScanAndProcIsNotReadAgain() throws Exception {
        Files.createDirectories(proc.resolve("1"));
        Files.writeString(proc.resolve("1/stat"), "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n");
        stat(100, 100, 50);
        org.poolwarden.config.PoolwardenConfig c = FakeHost.config("""
                apps:
                  - {name: busy, processRules: [{name: "busy loop"}]}
                """);
        org.poolwarden.detect.ProcessDetector d = new org.poolwarden.detect.ProcessDetector(
                new org.poolwarden.detect.ProcReader(proc), new org.poolwarden.detect.IdNames(proc.resolve("none"),
                proc.resolve("none")), "h", c.apps());
        KernelSampler s = new KernelSampler(() -> c, null, null, proc, 2, d);
        s.sample(d.scan().inventory(), 0);
        stat(100, 250, 100); // +200 ticks = 2 s
        Map<String, Double> m = byKey(s.sample(d.scan().inventory(), 2 * S));
        assertEquals(1.0, m.get("busy cpu.cores"), 1e-9);
        assertEquals(0, s.counters().procReads, "the sampler read no stat file of its own");
        for (int i = 0; i < org.poolwarden.detect.ProcessDetector.RECHECK_EVERY_SCANS; i++) {
            long r = d.reader().filesRead();
            s.sample(d.scan().inventory(), (4 + 2 * i) * S);
            assertTrue(d.reader().filesRead() - r >= 1, "measured from /proc: busy's process is read every scan");
        }
    }

    @Test
    void appsMeasuredByTheirCgroupAreNotReadFromProcEveryTick() throws Exception {
        Files.createDirectories(proc.resolve("1"));
        Files.writeString(proc.resolve("1/stat"), "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n");
        for (int pid = 100; pid < 150; pid++) {
            Files.createDirectories(proc.resolve(Integer.toString(pid)));
            Files.writeString(proc.resolve(pid + "/stat"), pid + " (nginx) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 "
                    + (4000 + pid) + " 0 0\n");
        }
        org.poolwarden.detect.ProcessDetector d = new org.poolwarden.detect.ProcessDetector(
                new org.poolwarden.detect.ProcReader(proc), new org.poolwarden.detect.IdNames(proc.resolve("none"),
                proc.resolve("none")), "h", host.config.apps());
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2, d);
        for (int i = 0; i < org.poolwarden.detect.ProcessDetector.YOUNG_SCANS + 2; i++) {
            d.scan();
            s.sample(host.inventory(), i * S); // web and batch have groups: their CPU comes from there
        }
        long before = d.reader().filesRead();
        d.scan();
        assertTrue(d.reader().filesRead() - before <= 51 / org.poolwarden.detect.ProcessDetector.RECHECK_EVERY_SCANS + 1,
                "about a fifth of web's processes: " + (d.reader().filesRead() - before));
    }

    @Test
    void pressureFilesParseAndTheHostsPressureIsSampledWhereItExists() throws Exception {
        double[] p = KernelSampler.parsePressureSome(
                "some avg10=1.50 avg60=0.80 avg300=0.20 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        assertEquals(List.of(1.5, 0.8, 0.2, 123456.0), List.of(p[0], p[1], p[2], p[3]));
        assertEquals(null, KernelSampler.parsePressureSome("some avg10=x avg60=0 avg300=0 total=1\n"));
        assertEquals(null, KernelSampler.parsePressureSome("full avg10=0 avg60=0 avg300=0 total=1\n"));
        assertEquals(null, KernelSampler.parsePressureSome("some avg10=1 total=1\n"), "a field missing");

        KernelSampler none = new KernelSampler(() -> host.config, null, null, proc, 2);
        assertTrue(none.sample(host.inventory(), 0).stream().noneMatch(x -> x.metric().startsWith("cpu.pressure")),
                "no PSI file: nothing reported, not a 0");
        Files.createDirectories(proc.resolve("pressure"));
        Files.writeString(proc.resolve("pressure/cpu"), "some avg10=12.50 avg60=3.00 avg300=1.00 total=7000000\n");
        KernelSampler s = new KernelSampler(() -> host.config, null, null, proc, 2);
        Map<String, Double> m = byKey(s.sample(host.inventory(), 0));
        assertEquals(12.5, m.get("host cpu.pressure.some_avg10"), 1e-9);
        assertEquals(7.0, m.get("host cpu.pressure.some_s"), 1e-9);
    }

    @Test
    void idleGroupsAreReadOnlyWhenTheRootCounterShowsUseTheOthersDoNotExplain() throws Exception {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2);
        s.sample(host.inventory(), 10 * S);
        s.sample(host.inventory(), 12 * S); // neither used anything since its first read: both idle now
        long reads = host.cpu.counters().reads();
        Map<String, Double> m = byKey(s.sample(host.inventory(), 14 * S));
        assertEquals(1, host.cpu.counters().reads() - reads, "only the root's counter");
        assertEquals(0.0, m.get("web cpu.percent"));
        assertEquals(0.0, m.get("batch cpu.percent"));
        assertEquals(2, s.counters().cgroupIdleSkips);

        host.cpu.consume("web", S, 0, 0); // an idle group wakes up: the root shows it, so all idle ones are read
        m = byKey(s.sample(host.inventory(), 16 * S));
        assertEquals(0.5, m.get("web cpu.cores"), 1e-9);
        assertEquals(0.0, m.get("batch cpu.cores"));

        // Use below the 1 ms threshold is reported late, never lost: the sum over the samples is what was used.
        double batchCpuSeconds = 0;
        long t = 16 * S;
        for (int i = 0; i < 4; i++) {
            host.cpu.consume("batch", 400_000, 0, 0);
            t += 2 * S;
            batchCpuSeconds += byKey(s.sample(host.inventory(), t)).get("batch cpu.cores") * 2;
        }
        assertEquals(0.0016, batchCpuSeconds, 1e-12, "4 x 0.4 ms");
        assertEquals(0.0, m.get("batch cpu.cores"));
    }

    @Test
    void everyGroupIsReadAtLeastEvery30thSample() throws Exception {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2);
        int fullReads = 0;
        for (int i = 0; i < 3 * KernelSampler.IDLE_READ_EVERY; i++) {
            long reads = host.cpu.counters().reads();
            s.sample(host.inventory(), i * 2 * S);
            if (host.cpu.counters().reads() - reads > 1) fullReads++;
        }
        assertEquals(2 + 3, fullReads, "the first two samples (no baseline yet), then every 30th");
    }

    @Test
    void enforcedAppsReportThrottledPeriodsAndPacketsOfTheirClassAndFlows() throws Exception {
        KernelEnforcer e = host.enforcer();
        e.apply(host.plan(), host.inventory());
        KernelSampler s = new KernelSampler(() -> host.config, e, null, proc, 2);
        s.sample(host.inventory(), 10 * S);
        host.cpu.consume("batch", S, S / 2, 7);
        host.tc.count("eth0", DesiredKernel.FIRST_APP_MINOR, 7_500_000, 5000);
        Map<String, Double> m = byKey(s.sample(host.inventory(), 12 * S));
        assertEquals(7.0, m.get("batch cpu.throttled_periods"), 1e-9);
        assertEquals(2500.0, m.get("web pipe.uplink.out.packets_per_s"), 1e-9);
        assertTrue(m.containsKey("web flows.packets") && m.containsKey("batch flows.packets"), m.toString());
    }

    /** One sock_diag answer as the kernel lays it out (native order header, big-endian ports), then DONE. */
    static ByteBuffer answer(int seq, long acked, long received) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        int infoLen = 4 + 232;
        int len = 16 + SockDiag.MSG_LEN + infoLen;
        b.putInt(len).putShort((short) SockDiag.SOCK_DIAG_BY_FAMILY).putShort((short) 2).putInt(seq).putInt(0);
        int m = b.position();
        b.put((byte) SockDiag.AF_INET).put((byte) 1).put((byte) 0).put((byte) 0);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) 40000).putShort((short) 5201).order(ByteOrder.nativeOrder());
        b.put(new byte[] {10, 77, 0, 1}).put(new byte[12]).put(new byte[] {10, 77, 0, 2}).put(new byte[12]);
        b.putInt(0).putInt(0x11223344).putInt(0x55);          // if, cookie
        b.putInt(0).putInt(0).putInt(0).putInt(0).putInt(987654); // expires, rqueue, wqueue, uid, inode
        assertEquals(m + SockDiag.MSG_LEN, b.position());
        b.putShort((short) infoLen).putShort((short) SockDiag.INET_DIAG_INFO);
        int info = b.position();
        b.put(new byte[232]);
        b.putLong(info + SockDiag.TCPI_BYTES_ACKED, acked).putLong(info + SockDiag.TCPI_BYTES_RECEIVED, received);
        b.putInt(20).putShort((short) SockDiag.NLMSG_DONE).putShort((short) 2).putInt(seq).putInt(0).putInt(0);
        b.flip();
        return b;
    }

    @Test
    void sockDiagAnswersDecodeToSocketsWithTheirByteCounters() {
        List<SockDiag.Entry> out = new ArrayList<>();
        assertTrue(SockDiag.parse(answer(7, 123_456_789_012L, 42), 7, out), "DONE ends the dump");
        assertEquals(1, out.size());
        SockDiag.Entry e = out.get(0);
        assertEquals(40000, e.socket().localPort());
        assertEquals(5201, e.socket().remotePort());
        assertEquals(10, e.socket().remoteAddress()[0]);
        assertEquals(2, e.socket().remoteAddress()[3]);
        assertEquals(987654, e.socket().inode());
        assertEquals(123_456_789_012L, e.bytesAcked());
        assertEquals(42, e.bytesReceived());
        assertEquals(0x11223344L | (0x55L << 32), e.cookie());

        List<SockDiag.Entry> other = new ArrayList<>();
        assertEquals(false, SockDiag.parse(answer(7, 1, 1), 8, other), "another dump's messages are ignored");
        assertEquals(List.of(), other);

        ByteBuffer err = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
        err.putInt(36).putShort((short) SockDiag.NLMSG_ERROR).putShort((short) 0).putInt(3).putInt(0).putInt(-1)
                .put(new byte[16]).flip();
        KernelException k = assertThrows(KernelException.class, () -> SockDiag.parse(err, 3, new ArrayList<>()));
        assertTrue(k.getMessage().contains("EPERM"), k.getMessage());

        ByteBuffer bad = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        bad.putInt(400).putShort((short) 20).putShort((short) 0).putInt(3).putInt(0).flip();
        assertThrows(IllegalArgumentException.class, () -> SockDiag.parse(bad, 3, new ArrayList<>()));
    }

    @Test
    void theRequestAsksForEveryTcpSocketWithTcpInfo() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
        SockDiag.request(b, SockDiag.AF_INET6, 9);
        assertEquals(72, b.position());
        assertEquals(72, b.getInt(0));
        assertEquals(SockDiag.SOCK_DIAG_BY_FAMILY, b.getShort(4));
        assertEquals(0x301, b.getShort(6));
        assertEquals(9, b.getInt(8));
        assertEquals(SockDiag.AF_INET6, b.get(16));
        assertEquals(6, b.get(17));
        assertEquals(2, b.get(18), "1 << (INET_DIAG_INFO - 1)");
        assertEquals(-1, b.getInt(20), "every state");
    }
}
