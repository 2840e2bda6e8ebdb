package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.FlowRule.Protocol;

class FlowMatcherTest {
    @TempDir
    Path tmp;

    static List<App> apps(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", yaml);
        assertEquals(List.of(), r.errors());
        return r.config().apps();
    }

    static byte[] ip(String s) throws Exception {
        return InetAddress.getByName(s).getAddress();
    }

    @Test
    void addressesAreDecodedFromHostOrderWords() throws Exception {
        assertArrayEquals(ip("127.0.0.1"), SocketReader.parseAddress("0100007F", ByteOrder.LITTLE_ENDIAN));
        assertArrayEquals(ip("127.0.0.1"), SocketReader.parseAddress("7F000001", ByteOrder.BIG_ENDIAN));
        assertArrayEquals(ip("::1"), SocketReader.parseAddress("00000000000000000000000001000000",
                ByteOrder.LITTLE_ENDIAN));
        assertArrayEquals(ip("2001:db8::5"), SocketReader.parseAddress("B80D0120000000000000000005000000",
                ByteOrder.LITTLE_ENDIAN));
        assertNull(SocketReader.parseAddress("123", ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void readsTheKernelsFormatAndSkipsMalformedLines() throws Exception {
        Path net = Files.createDirectories(tmp.resolve("net"));
        Files.writeString(net.resolve("tcp"), """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
                   1: 0F02000A:0050 0102A8C0:D431 01 00000000:00000000 00:00000000 00000000    33        0 23456 1 0000000000000000 20 4 30 10 -1
                   2: garbage
                """);
        Files.writeString(net.resolve("udp6"), """
                  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
                  10: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 34567 2 0000000000000000 0
                """);
        SocketReader r = new SocketReader(net, ByteOrder.LITTLE_ENDIAN);
        List<Socket> s = r.read();
        assertEquals(3, s.size());
        assertEquals(1, r.malformedLines());
        Socket listen = s.get(0);
        assertEquals(Protocol.TCP, listen.protocol());
        assertArrayEquals(ip("127.0.0.1"), listen.localAddress());
        assertEquals(8080, listen.localPort());
        assertEquals(Socket.TCP_LISTEN, listen.state());
        assertEquals(12345, listen.inode());
        Socket conn = s.get(1);
        assertArrayEquals(ip("10.0.2.15"), conn.localAddress());
        assertArrayEquals(ip("192.168.2.1"), conn.remoteAddress());
        assertEquals(54321, conn.remotePort());
        assertEquals(33, conn.uid());
        assertEquals(Protocol.UDP, s.get(2).protocol());
        assertEquals(53, s.get(2).localPort());
    }

    @Test
    void firstAppWithAMatchingFlowRuleWins() throws Exception {
        FlowMatcher m = new FlowMatcher(apps("""
                apps:
                  - {name: dns, flowRules: [{protocol: udp, localPort: 53}]}
                  - {name: web, flowRules: [{protocol: tcp, localPort: 80}, {protocol: tcp, localPort: 8000-8100}]}
                  - {name: lan, flowRules: [{remoteAddress: 192.168.0.0/16}]}
                  - {name: v6, flowRules: [{localAddress: "2001:db8::/32"}]}
                """));
        byte[] any4 = ip("0.0.0.0");
        assertEquals("dns", m.match(new Socket(Protocol.UDP, any4, 53, any4, 0, 7, 0, 1)));
        assertNull(m.match(new Socket(Protocol.TCP, any4, 53, any4, 0, 10, 0, 1)), "tcp/53 is not the udp rule");
        assertEquals("web", m.match(new Socket(Protocol.TCP, any4, 8050, ip("192.168.1.1"), 40000, 1, 0, 1)),
                "web comes before lan");
        assertEquals("lan", m.match(new Socket(Protocol.TCP, any4, 22, ip("192.168.1.1"), 40000, 1, 0, 1)));
        assertEquals("lan", m.match(new Socket(Protocol.TCP, ip("::"), 22, ip("::ffff:192.168.1.1"), 40000, 1, 0, 1)),
                "an IPv4 rule matches an IPv4-mapped address");
        assertEquals("v6", m.match(new Socket(Protocol.UDP, ip("2001:db8::7"), 9, ip("::"), 0, 7, 0, 1)));
        assertNull(m.match(new Socket(Protocol.UDP, ip("2001:db9::7"), 9, ip("::"), 0, 7, 0, 1)));
        Map<String, List<Socket>> by = m.byApp(List.of(new Socket(Protocol.UDP, any4, 53, any4, 0, 7, 0, 1),
                new Socket(Protocol.TCP, any4, 1, any4, 0, 10, 0, 2)));
        assertEquals(List.of("dns"), List.copyOf(by.keySet()));
    }

    @Test
    void findsARealListeningSocketOnThisHost() throws Exception {
        boolean linux = Files.isReadable(Path.of("/proc/net/tcp"));
        if ("true".equals(System.getenv("CI"))) assertTrue(linux, "CI must run on Linux with /proc/net");
        assumeTrue(linux, "needs Linux /proc/net");
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = server.getLocalPort();
            FlowMatcher m = new FlowMatcher(apps("apps: [{name: mine, flowRules: [{protocol: tcp, localAddress: "
                    + "127.0.0.0/8, localPort: " + port + "}]}]"));
            List<Socket> mine = m.byApp(SocketReader.system().read()).getOrDefault("mine", List.of());
            assertTrue(mine.stream().anyMatch(s -> s.state() == Socket.TCP_LISTEN && s.localPort() == port),
                    "listening socket on port " + port + " not found: " + mine);
        }
    }
}
