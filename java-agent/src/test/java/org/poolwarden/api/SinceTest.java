package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SinceTest {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @ParameterizedTest
    @CsvSource({
        "90s, 2026-11-23T11:58:30Z",
        "15m, 2026-11-23T11:45:00Z",
        "1h30m, 2026-11-23T10:30:00Z",
        "7d, 2026-11-16T12:00:00Z",
        "2w, 2026-11-09T12:00:00Z",
        "366d, 2025-11-22T12:00:00Z",
        "2026-11-23T10:00:00Z, 2026-11-23T10:00:00Z",
        "2026-11-23T10:00:00+02:00, 2026-11-23T08:00:00Z",
        "2026-11-01, 2026-11-01T00:00:00Z",
    })
    void accepted(String text, String expected) {
        assertEquals(Instant.parse(expected), Since.parse(text, NOW));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "h", "1y", "-1h", "yesterday", "367d", "53w", "2026-11-24T00:00:00Z",
            "99999999999999999999s"})
    void refused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Since.parse(text, NOW));
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }
}
