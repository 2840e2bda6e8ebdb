package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.poolwarden.config.FlowRule;

/** The /proc parsers take whatever the kernel (or a corrupted fake) gives them without throwing. */
class ProcParsingPropertiesTest {
    @Property
    void statNeverThrowsOnGarbage(@ForAll @Size(max = 400) byte[] bytes) {
        ProcStat.parse(1, bytes, bytes.length); // null or a value, never an exception
    }

    @Property
    void statRoundTripsAnyNameAndNumbers(@ForAll @StringLength(max = 15) String comm,
                                         @ForAll @IntRange(min = 0, max = 4_194_304) int ppid,
                                         @ForAll @IntRange(min = 0, max = 4_194_304) int session,
                                         @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 10) long start,
                                         @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long utime,
                                         @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long stime) {
        String name = comm.replace('\0', ' ');
        byte[] b = ("77 (" + name + ") R " + ppid + " 77 " + session + " 0 -1 0 0 0 0 0 " + utime + " " + stime + " 3 4 20 0 1 0 " + start
                + " 0 0\n").getBytes(StandardCharsets.UTF_8);
        ProcStat s = ProcStat.parse(77, b, b.length);
        assertNotNull(s, new String(b, StandardCharsets.UTF_8));
        assertEquals(new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8), s.comm());
        assertEquals(ppid, s.ppid());
        assertEquals(session, s.sessionId());
        assertEquals(start, s.startTime());
        assertEquals(utime + stime, s.cpuTicks(), "utime + stime, fields 14 and 15");
    }

    @Property
    void socketLinesNeverThrow(@ForAll @StringLength(max = 200) String line) {
        SocketReader.parseLine(line, FlowRule.Protocol.TCP, ByteOrder.LITTLE_ENDIAN);
    }
}
