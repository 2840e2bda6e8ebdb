package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tables for the small value types: addresses, ports, rates, format detection. */
class ValuesTest {
    @ParameterizedTest
    @CsvSource({
            "10.0.0.0/8, 10.0.0.0/8",
            "192.168.1.7, 192.168.1.7/32",
            "10.0.0.0/255.255.0.0, 10.0.0.0/16",
            "0.0.0.0/0, 0.0.0.0/0",
            "2001:db8::/32, 2001:db8:0:0:0:0:0:0/32",
            "::1, 0:0:0:0:0:0:0:1/128",
            "::/0, 0:0:0:0:0:0:0:0/0",
            "fe80::1:2/128, fe80:0:0:0:0:0:1:2/128"})
    void cidrParses(String in, String canonical) {
        assertEquals(canonical, Cidr.parse(in).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1/8", "256.0.0.0", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "host.example",
            "1.2.3", "2001:db8::1::2", "2001:db8::/129", "12345::", "10.0.0.0/x", ""})
    void cidrRejects(String in) {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(in));
    }

    @Property
    void ipv4CidrRoundTripsAndContainsItsNetwork(@ForAll int addr, @ForAll @IntRange(min = 0, max = 32) int prefix) {
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        long net = (addr & 0xFFFFFFFFL) & mask;
        String text = (net >> 24) + "." + ((net >> 16) & 255) + "." + ((net >> 8) & 255) + "." + (net & 255) + "/"
                + prefix;
        Cidr c = Cidr.parse(text);
        assertEquals(text, c.toString());
        assertEquals(c, Cidr.parse(c.toString()));
        byte[] a = {(byte) (addr >> 24), (byte) (addr >> 16), (byte) (addr >> 8), (byte) addr};
        assertTrue(c.contains(a) == (((addr & 0xFFFFFFFFL) & mask) == net));
    }

    @ParameterizedTest
    @CsvSource({"80, 80, 80", "1-65535, 1, 65535", " 8000 - 8100 , 8000, 8100"})
    void portParses(String in, int from, int to) {
        assertEquals(new PortRange(from, to), PortRange.parse(in));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65536", "9000-8000", "http", "80-", "-1"})
    void portRejects(String in) {
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse(in));
    }

    @ParameterizedTest
    @CsvSource({"125000, 125000", "1bit, 1", "30mbit, 30000000", "1.5gbit, 1500000000", "500 kbit, 500000",
            "40Gbit, 40000000000", "2tbit, 2000000000000"})
    void ratesParse(String in, long bits) {
        assertEquals(bits, Rates.parseBits(in));
    }

    @ParameterizedTest
    @ValueSource(strings = {"30mbps", "fast", "1e9", "-5mbit", "10%", "99999999999tbit"})
    void ratesReject(String in) {
        assertThrows(IllegalArgumentException.class, () -> Rates.parseBits(in));
    }

    @Property
    void rateFormatRoundTrips(@ForAll @LongRange(min = 1, max = 1_000_000_000_000L) long bits) {
        assertEquals(bits, Rates.parseBits(Rates.format(bits)));
    }

    @ParameterizedTest
    @CsvSource({"25%, 25.0", " 12.5 % , 12.5", "100%, 100.0"})
    void percentParses(String in, double v) {
        assertEquals(v, Rates.parsePercent(in));
    }

    @ParameterizedTest
    @ValueSource(strings = {"25", "%", "x%", "1mbit"})
    void notPercent(String in) {
        assertNull(Rates.parsePercent(in));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"a\":1}|JSON", "  [1]|JSON", "<APP-RULES/>|XML", "\uFEFF<x/>|XML",
            "mode: monitor|YAML", "- [1]|YAML", "|YAML"})
    void formatIsDetectedFromContent(String text, ConfigFormat f) {
        assertEquals(f, ConfigFormat.detect(text == null ? "" : text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"web", "a", "shop-web_2.0", "A1"})
    void namesAccepted(String n) {
        assertTrue(ConfigBinder.NAME.matcher(n).matches());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-web", "has space", "a/b", "", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void namesRejected(String n) {
        assertFalse(ConfigBinder.NAME.matcher(n).matches());
    }
}
