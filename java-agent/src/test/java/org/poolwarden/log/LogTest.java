package org.poolwarden.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assertions;

class LogTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00.123456Z"), ZoneOffset.UTC);

    final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    Log log(Log.Format f, boolean journal, Log.Level min) {
        return new Log(new PrintStream(buf, true, StandardCharsets.UTF_8), f, min, journal, CLOCK);
    }

    String text() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logfmtWithTimestampOffTheJournal() {
        log(Log.Format.LOGFMT, false, Log.Level.INFO).info("api listening", "url", "http://127.0.0.1:7474", "port",
                7474);
        assertEquals("time=2026-11-23T12:00:00.123Z level=info msg=\"api listening\" url=http://127.0.0.1:7474"
                + " port=7474\n", text());
    }

    @Test
    void underTheJournalNoTimestampAndAPriorityPrefix() {
        Log l = log(Log.Format.LOGFMT, true, Log.Level.DEBUG);
        l.error("reload rejected", "errors", 3);
        l.warn("w");
        l.debug("d");
        assertEquals("<3>level=error msg=\"reload rejected\" errors=3\n<4>level=warn msg=w\n<7>level=debug msg=d\n",
                text());
    }

    @Test
    void theEnvironmentDecidesJournalMode() {
        Assertions.assertTrue(Log.stderr(Log.Format.LOGFMT, Log.Level.INFO, Map.of("JOURNAL_STREAM", "8:1234"))
                .line(Log.Level.INFO, "x").startsWith("<6>level=info"));
        Assertions.assertTrue(Log.stderr(Log.Format.LOGFMT, Log.Level.INFO, Map.of())
                .line(Log.Level.INFO, "x").startsWith("time="));
    }

    @Test
    void valuesAreQuotedAndEscapedSoALineStaysOneLine() {
        String line = log(Log.Format.LOGFMT, true, Log.Level.INFO).line(Log.Level.INFO, "m",
                "a", "two words", "b", "x=y", "c", "say \"hi\"\nagain", "d", "", "bad key", "v", "e");
        assertEquals("<6>level=info msg=m a=\"two words\" b=\"x=y\" c=\"say \\\"hi\\\"\\nagain\" d=\"\" bad_key=v e=\"\"",
                line);
    }

    @Test
    void jsonLinesParseBackWithTypedNumbers() throws Exception {
        Log l = log(Log.Format.JSON, false, Log.Level.INFO);
        l.warn("pipe over booked", "pipe", "wan", "booked", 120_000_000L, "ratio", 1.2, "ok", false, "nan", Double.NaN,
                "text", "line1\nline2\u0001");
        String t = text();
        assertEquals(1, t.split("\n").length);
        JsonNode n = new ObjectMapper().readTree(t);
        assertEquals("2026-11-23T12:00:00.123Z", n.get("time").asText());
        assertEquals("warn", n.get("level").asText());
        assertEquals("pipe over booked", n.get("msg").asText());
        assertEquals(120_000_000L, n.get("booked").asLong());
        Assertions.assertTrue(n.get("booked").isNumber());
        assertEquals(1.2, n.get("ratio").asDouble());
        Assertions.assertTrue(n.get("ok").isBoolean());
        assertEquals("NaN", n.get("nan").asText());
        assertEquals("line1\nline2\u0001", n.get("text").asText());
    }

    @Test
    void belowTheLevelNothingIsWritten() {
        Log l = log(Log.Format.LOGFMT, false, Log.Level.WARN);
        l.info("quiet");
        l.debug("quiet");
        assertEquals("", text());
        Log.NONE.error("dropped");
        Assertions.assertFalse(Log.NONE.enabled(Log.Level.ERROR));
    }

    @Test
    void formatNames() {
        assertEquals(Log.Format.JSON, Log.format("json"));
        assertEquals(Log.Format.LOGFMT, Log.format("LOGFMT"));
        assertEquals("--log-format: expected logfmt or json, found \"xml\"",
                Assertions.assertThrows(IllegalArgumentException.class, () -> Log.format("xml")).getMessage());
    }
}
