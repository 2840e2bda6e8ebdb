package org.poolwarden.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/** iperf3 runs for the bandwidth tests: a client's JSON report reduced to what the assertions need. */
public final class Iperf {
    /** TCP goodput over HTB on Ethernet: 1448 payload bytes per 1514-byte frame (MSS over frame with headers). */
    public static final double TCP_GOODPUT_RATIO = 1448.0 / 1514.0;

    /**
     * {@code intervals} are the receiver's (the server's report, fetched with --get-server-output): goodput as it
     * arrived, not what the sender wrote into its socket buffer.
     */
    public record Report(double receivedBitsPerSecond, List<double[]> intervals, int exitCode, String raw) {
        /** Mean received rate (bits/s) over the receiver's intervals that lie within [from, to] seconds. */
        public double meanBetween(double from, double to) {
            double bits = 0;
            double secs = 0;
            for (double[] i : intervals) {
                if (i[0] >= from - 1e-6 && i[1] <= to + 1e-6) {
                    bits += i[2] * (i[1] - i[0]);
                    secs += i[1] - i[0];
                }
            }
            if (secs == 0) {
                throw new IllegalStateException("no iperf3 interval within " + from + ".." + to + " s: " + raw);
            }
            return bits / secs;
        }
    }

    private Iperf() {
    }

    /** Starts a server reporting every 0.5 s (the intervals clients fetch with --get-server-output). */
    public static Process server(Lab.Host host, int port) {
        return host.start("iperf3", "-s", "-p", Integer.toString(port), "-i", "0.5");
    }

    /** Starts a TCP client in {@code host}; {@link #await} collects its report. */
    public static Process client(Lab.Host host, String server, int port, int seconds, int omit) {
        return host.start("iperf3", "-c", server, "-p", Integer.toString(port), "-t", Integer.toString(seconds), "-O",
                Integer.toString(omit), "-i", "0.5", "-J", "--get-server-output");
    }

    /** A client limited to {@code rate} (iperf3's -b, e.g. "20M"). */
    public static Process client(Lab.Host host, String server, int port, int seconds, String rate) {
        return host.start("iperf3", "-c", server, "-p", Integer.toString(port), "-t", Integer.toString(seconds), "-b",
                rate, "-i", "0.5", "-J", "--get-server-output");
    }

    public static Report await(Process p, int timeoutSeconds) throws IOException, InterruptedException {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("iperf3 did not finish in " + timeoutSeconds + " s");
        }
        return parse(out, p.exitValue());
    }

    static final Pattern RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    /** A line of the server's text report: "[  5]   1.00-1.50   sec  2.38 MBytes  39.8 Mbits/sec". */
    static final Pattern SERVER_INTERVAL = Pattern.compile(
            "\\]\\s+([0-9.]+)-([0-9.]+)\\s+sec\\s+[0-9.]+ [KMG]?Bytes\\s+([0-9.]+) ([KMG]?)bits/sec(?!\\s+receiver)");

    public static Report parse(String json, int exit) {
        Matcher r = RECEIVED.matcher(json);
        double received = r.find() ? Double.parseDouble(r.group(1)) : -1;
        List<double[]> intervals = new ArrayList<>();
        int server = json.indexOf("\"server_output_text\"");
        if (server >= 0) {
            Matcher m = SERVER_INTERVAL.matcher(json.substring(server));
            while (m.find()) {
                double scale = switch (m.group(4)) {
                    case "K" -> 1e3;
                    case "M" -> 1e6;
                    case "G" -> 1e9;
                    default -> 1;
                };
                double start = Double.parseDouble(m.group(1));
                double end = Double.parseDouble(m.group(2));
                // the summary line spans the whole run: keep only the short intervals
                if (end - start < 0.75) {
                    intervals.add(new double[] {start, end, Double.parseDouble(m.group(3)) * scale});
                }
            }
        }
        return new Report(received, intervals, exit, json);
    }
}
