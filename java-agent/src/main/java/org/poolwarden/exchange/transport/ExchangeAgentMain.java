package org.poolwarden.exchange.transport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PoolKey;

/**
 * The exchange alone as a process, for multi-host and network-namespace tests (SIGKILL / SIGSTOP a real peer).
 * Prints one JSON object per line on stdout (events, entries, status); reads commands on stdin:
 * {@code publish KEY VALUE}, {@code status}, {@code leave}.
 * <pre>
 * java -cp poolwarden.jar org.poolwarden.exchange.transport.ExchangeAgentMain --id 3 --bind 10.0.0.3:7946 \
 *      --pool 1 --key-file /etc/poolwarden/pool.key [--key2-file old.key] [--seed 10.0.0.1:7946]... [--wan] [--nio]
 * </pre>
 * The key file holds the secret as hex (32..128 hex digits); its key id is 1, the second key's 2.
 */
public final class ExchangeAgentMain {
    private ExchangeAgentMain() {
    }

    public static void main(String[] args) throws Exception {
        long id = -1;
        InetSocketAddress bind = null;
        InetSocketAddress advertise = null;
        int pool = 1;
        PoolKey key = null;
        PoolKey key2 = null;
        List<InetSocketAddress> seeds = new ArrayList<>();
        ExchangeConfig cfg = ExchangeConfig.lan();
        UdpExchange.Mode mode = UdpExchange.Mode.AUTO;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--id" -> id = Long.parseLong(args[++i]);
                case "--bind" -> bind = address(args[++i], a);
                case "--advertise" -> advertise = address(args[++i], a);
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                case "--key-file" -> key = readKey(1, args[++i]);
                case "--key2-file" -> key2 = readKey(2, args[++i]);
                case "--seed" -> seeds.add(address(args[++i], a));
                case "--wan" -> cfg = ExchangeConfig.wan();
                case "--nio" -> mode = UdpExchange.Mode.NIO;
                default -> fail("unknown argument " + a);
            }
        }
        if (id < 0 || bind == null || key == null) {
            fail("--id, --bind and --key-file are required");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ExchangeListener listener = new ExchangeListener() {
            @Override
            public void onMemberEvent(MemberEvent e) {
                out.println("{\"t\":" + System.currentTimeMillis() + ",\"event\":\"" + e.type() + "\",\"member\":" + e.member()
                        + ",\"incarnation\":" + e.incarnation() + ",\"address\":\"" + e.address().getAddress().getHostAddress()
                        + ":" + e.address().getPort() + "\"}");
            }

            @Override
            public void onEntry(Message.Entry e, long nowNanos) {
                out.println("{\"t\":" + System.currentTimeMillis() + ",\"entry\":\"" + e.key().replace("\"", "") + "\",\"origin\":"
                        + e.origin() + ",\"version\":" + e.version() + "}");
            }
        };
        KeyRing ring = key2 == null ? KeyRing.of(key) : KeyRing.of(key, key2);
        UdpExchange x = UdpExchange.start(cfg, id, bind, advertise, pool, ring, seeds, listener, mode);
        Runtime.getRuntime().addShutdownHook(new Thread(x::close));
        out.println("{\"t\":" + System.currentTimeMillis() + ",\"ready\":\"" + x.transportName() + "\",\"bound\":\""
                + x.localAddress().getAddress().getHostAddress() + ":" + x.localAddress().getPort() + "\"}");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+", 3);
            switch (w[0]) {
                case "publish" -> {
                    byte[] value = w.length > 2 ? w[2].getBytes(StandardCharsets.UTF_8) : new byte[0];
                    x.call(n -> n.publish(w[1], value, System.nanoTime()));
                }
                case "status" -> out.println(status(x));
                case "leave" -> {
                    x.call(n -> {
                        n.leave(System.nanoTime());
                        return null;
                    });
                    Thread.sleep(500); // let the leave go out on a few gossip ticks
                    x.close();
                    return;
                }
                case "" -> {
                }
                default -> out.println("{\"error\":\"unknown command " + w[0] + "\"}");
            }
        }
        // stdin closed: keep running until killed
        Thread.currentThread().join();
    }

    static String status(UdpExchange x) throws Exception {
        StringBuilder sb = new StringBuilder("{\"t\":" + System.currentTimeMillis() + ",\"members\":{");
        String members = x.call(n -> {
            StringBuilder m = new StringBuilder();
            n.members().forEach(v -> m.append(m.length() == 0 ? "" : ",").append('"').append(v.id()).append("\":\"")
                    .append(v.state()).append('"'));
            return m.toString();
        });
        sb.append(members).append("},\"counters\":{");
        boolean first = true;
        for (Map.Entry<ExchangeCounters.Counter, Long> e : x.counters().snapshot().entrySet()) {
            sb.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
            first = false;
        }
        return sb.append("}}").toString();
    }

    static InetSocketAddress address(String hostPort, String flag) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            fail(flag + " " + hostPort + ": expected host:port");
        }
        return new InetSocketAddress(InetAddress.getByName(hostPort.substring(0, colon)), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    static PoolKey readKey(int id, String file) throws IOException {
        String hex = Files.readString(Path.of(file), StandardCharsets.US_ASCII).trim();
        try {
            return new PoolKey(id, HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            fail(file + ": " + e.getMessage());
            return null;
        }
    }

    static void fail(String message) {
        System.err.println("exchange-agent: " + message);
        System.exit(2);
    }
}
