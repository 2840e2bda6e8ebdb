package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({
            "10.0.0.0/8, 10.0.0.0/8",
            "10.1.2.3/8, 10.0.0.0/8",
            "192.0.2.7, 192.0.2.7",
            "0.0.0.0/0, 0.0.0.0/0",
            "2001:db8::/32, 2001:db8::/32",
            "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
            "2001:db8:1:0:0:1:0:0/96, 2001:db8:1::1:0:0/96",
            "::1, ::1",
            "fe80::1:2/64, fe80::/64"})
    void addressesParseAndFormatCanonically(String in, String out) {
        AddressMatch a = AddressMatch.parse(in, "f");
        assertEquals(out, (a.family() == 4 ? FieldType.IPV4 : FieldType.IPV6).format(a.range()));
    }

    @Property
    void ipv4PrefixRoundTrips(@ForAll @LongRange(min = 0, max = 0xffffffffL) long addr,
                              @ForAll @IntRange(min = 0, max = 32) int len) {
        long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
        String text = ((addr >> 24) & 255) + "." + ((addr >> 16) & 255) + "." + ((addr >> 8) & 255) + "." + (addr & 255)
                + "/" + len;
        AddressMatch a = AddressMatch.parse(text, "f");
        assertEquals(BigInteger.valueOf(addr & mask), a.range().lo());
        assertEquals(len, a.range().prefixLength(32));
        assertEquals(a, AddressMatch.parse(FieldType.IPV4.format(a.range()), "f"));
    }

    @Property
    void ipv6PrefixRoundTrips(@ForAll long hi, @ForAll long lo, @ForAll @IntRange(min = 0, max = 128) int len) {
        BigInteger v = BigInteger.valueOf(hi).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)).shiftLeft(64)
                .or(BigInteger.valueOf(lo).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)));
        BigInteger host = BigInteger.ONE.shiftLeft(128 - len).subtract(BigInteger.ONE);
        Interval range = new Interval(v.andNot(host), v.andNot(host).or(host));
        String text = FieldType.IPV6.format(range);
        AddressMatch a = AddressMatch.parse(text, "f");
        assertEquals(range, a.range());
    }

    @Property
    void portRangesRoundTrip(@ForAll @IntRange(max = 65535) int a, @ForAll @IntRange(max = 65535) int b) {
        PortRange r = PortRange.parse(Math.min(a, b) + "-" + Math.max(a, b), "f");
        assertEquals(Math.min(a, b), r.from());
        assertEquals(r, PortRange.parse(FieldType.PORT.format(r.interval()), "f"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "IPV4|\"10.1.2.3\"|10.1.2.3",
            "IPV4|{\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}|10.0.0.0/8",
            "IPV4|{\"range\": [\"192.168.0.1\", \"192.168.0.9\"]}|192.168.0.1-192.168.0.9",
            "IPV6|{\"prefix\": {\"addr\": \"2001:db8::\", \"len\": 32}}|2001:db8::/32",
            "PORT|80|80",
            "PORT|{\"range\": [1000, 2000]}|1000-2000",
            "PROTO|\"tcp\"|tcp",
            "PROTO|17|udp",
            "MARK|65552|0x00010010",
            "MARK|\"0x00010010\"|0x00010010"})
    void kernelJsonFieldsParse(FieldType type, String json, String text) throws Exception {
        assertEquals(text, type.format(type.parse(JSON.readTree(json))));
    }

    @ParameterizedTest
    @CsvSource({"1:10, 1, 16, 65552", "ffff:ffff, 65535, 65535, -1", "a:1, 10, 1, 655361"})
    void classIdsAreHexLikeTc(String text, int major, int minor, int handle) {
        ClassId c = ClassId.parse(text, "f");
        assertEquals(new ClassId(major, minor), c);
        assertEquals(handle, c.handle());
        assertEquals(text, c.toString());
    }
}
