package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ListenTest {
    @ParameterizedTest
    @CsvSource({"127.0.0.1:7474, 127.0.0.1, 7474, true", "'[::1]:80', 0:0:0:0:0:0:0:1, 80, true",
            "0.0.0.0:0, 0.0.0.0, 0, false", "192.0.2.7:9000, 192.0.2.7, 9000, false"})
    void accepted(String text, String host, int port, boolean loopback) {
        InetSocketAddress a = ApiServer.parseListen(text);
        assertEquals(host, a.getAddress().getHostAddress());
        assertEquals(port, a.getPort());
        assertEquals(loopback, a.getAddress().isLoopbackAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"7474", ":7474", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "::1:7474",
            "127.0.0.1:-1"})
    void refused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiServer.parseListen(text));
        assertTrue(e.getMessage().startsWith("\"" + text + "\""), e.getMessage());
    }
}
