package org.poolwarden.tc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.os.Netns;
import org.poolwarden.tc.bandwidth.ApplyReport;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.RtnetlinkBandwidthController;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.link.LinkInfo;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.netlink.RtnetlinkChannel;
import org.poolwarden.tc.netlink.TcMessages;
import org.poolwarden.tc.qdisc.QdiscMessages;
import org.poolwarden.testing.KernelTest;

/**
 * One HTB rate update three ways, in one scratch network namespace on an IFB device: a single RTM_NEWTCLASS through
 * our channel, a full {@code apply()} of the controller (dumps, diff, one message), and forking
 * {@code tc class change} for the same change. Results go to target/bench/tc.json.
 */
@Tag("bench")
@KernelTest(needs = "tc")
class TcRateUpdateBench {
    static final int NETLINK_ROUNDS = 2000;
    static final int APPLY_ROUNDS = 500;
    static final int FORK_ROUNDS = 60;
    static final long MBIT = 1_000_000;

    record Stat(int n, double medianMicros, double p99Micros, double meanMicros) {
        static Stat of(long[] nanos) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            double mean = Arrays.stream(s).average().orElse(0) / 1e3;
            return new Stat(s.length, s[s.length / 2] / 1e3, s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] / 1e3, mean);
        }

        String json() {
            return String.format(Locale.ROOT, "{\"n\": %d, \"median_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f}", n,
                    medianMicros, p99Micros, meanMicros);
        }
    }

    static BandwidthSpec spec(String dev, long webRate) {
        return BandwidthSpec.egressOnly(dev, 1000 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(0x7000, MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("web", 0x10, webRate, 40 * MBIT),
                        new BandwidthSpec.AppClass("batch", 0x20, 10 * MBIT, 40 * MBIT)), List.of()));
    }

    @Test
    void rateUpdateThroughNetlinkVersusForkingTc() throws Exception {
        Psched p = Psched.system();
        Stat[] stats = Netns.callInScratch(() -> {
            try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
                Links links = new Links(ch);
                LinkInfo dev = links.createIfb("pwbench0");
                links.setUp(dev, true);
                // the controller's tree: class 5057:10 under 5057:1
                try (RtnetlinkBandwidthController c = RtnetlinkBandwidthController.open(null)) {
                    c.apply(spec(dev.name(), 20 * MBIT));

                    int classId = TcMessages.handle(0x5057, 0x10);
                    int parent = TcMessages.handle(0x5057, 1);
                    long[] netlink = new long[NETLINK_ROUNDS];
                    for (int i = -200; i < NETLINK_ROUNDS; i++) {
                        long rate = (i & 1) == 0 ? 2_500_000 : 2_625_000; // 20 / 21 Mbit
                        long t = System.nanoTime();
                        QdiscMessages.writeHtbClass(ch.begin(), TcMessages.REPLACE, ch.nextSeq(), dev.index(), classId,
                                parent, HtbClassOptions.of(rate, 5_000_000).withQuantum(200_000), 10, p, false);
                        ch.execute("class 5057:10");
                        if (i >= 0) {
                            netlink[i] = System.nanoTime() - t;
                        }
                    }

                    long[] apply = new long[APPLY_ROUNDS];
                    for (int i = -50; i < APPLY_ROUNDS; i++) {
                        long rate = (i & 1) == 0 ? 22 * MBIT : 23 * MBIT;
                        long t = System.nanoTime();
                        ApplyReport r = c.apply(spec(dev.name(), rate));
                        long d = System.nanoTime() - t;
                        assertEquals(1, r.changesSent());
                        if (i >= 0) {
                            apply[i] = d;
                        }
                    }

                    long[] fork = new long[FORK_ROUNDS];
                    for (int i = -5; i < FORK_ROUNDS; i++) {
                        String rate = (i & 1) == 0 ? "24mbit" : "25mbit";
                        long t = System.nanoTime();
                        Process tc = new ProcessBuilder("tc", "class", "change", "dev", dev.name(), "parent", "5057:1",
                                "classid", "5057:10", "htb", "rate", rate, "ceil", "40mbit", "quantum", "200000")
                                .redirectErrorStream(true).start();
                        String out = new String(tc.getInputStream().readAllBytes());
                        int rc = tc.waitFor();
                        long d = System.nanoTime() - t;
                        assertEquals(0, rc, out);
                        if (i >= 0) {
                            fork[i] = d;
                        }
                    }
                    return new Stat[] {Stat.of(netlink), Stat.of(apply), Stat.of(fork)};
                }
            }
        });
        double speedupMessage = stats[2].medianMicros() / stats[0].medianMicros();
        double speedupApply = stats[2].medianMicros() / stats[1].medianMicros();
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        String json = String.format(Locale.ROOT, "{%n  \"benchmark\": \"htb rate update\",%n"
                        + "  \"setup\": \"scratch netns, ifb device, HTB root 5057: with 4 classes; %d cpus; loadavg %s\",%n"
                        + "  \"netlink_single_message\": %s,%n  \"controller_apply_one_change\": %s,%n"
                        + "  \"fork_tc_class_change\": %s,%n  \"speedup_single_message_median\": %.1f,%n"
                        + "  \"speedup_controller_apply_median\": %.1f,%n  \"target_speedup\": 20%n}%n",
                Runtime.getRuntime().availableProcessors(), load, stats[0].json(), stats[1].json(), stats[2].json(),
                speedupMessage, speedupApply);
        write(json);
        System.out.print(json);
        assertTrue(speedupMessage >= 20, "single-message rate update only " + speedupMessage + "x faster than forking tc");
    }

    static void write(String json) throws IOException {
        Path dir = Path.of("target", "bench");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tc.json"), json);
    }
}
