package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each deliberately broken config under src/test/resources/broken/ must give exactly the error lines in its
 * {@code .expected} file: every error (not just the first), each with file:line:col and field.
 * Regenerate after an intended change with {@code -Dgolden.update=true}, then review the diff.
 */
class BrokenExamplesGoldenTest {
    static final Path DIR = Path.of("src/test/resources/broken");

    static Stream<Path> brokenFiles() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            List<Path> l = new ArrayList<>(s.filter(p -> !p.toString().endsWith(".expected")).sorted().toList());
            return l.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("brokenFiles")
    void everyErrorIsReportedWithItsLocation(Path file) throws IOException {
        String name = "broken/" + file.getFileName();
        ConfigLoader.Result r = ConfigLoader.parse(name, Files.readString(file, StandardCharsets.UTF_8));
        assertFalse(r.valid(), name + " should be invalid");
        assertNull(r.config());
        List<String> actual = r.errors().stream().map(ConfigError::toString).toList();
        Path golden = Path.of(file + ".expected");
        if (Boolean.getBoolean("golden.update")) {
            Files.write(golden, actual, StandardCharsets.UTF_8);
        }
        assertTrue(Files.exists(golden), "missing golden file " + golden);
        assertEquals(Files.readAllLines(golden, StandardCharsets.UTF_8), actual, name);
    }

    @Test
    void everyBrokenFileHasAGolden() throws IOException {
        assertTrue(brokenFiles().count() >= 5);
        brokenFiles().forEach(p -> assertTrue(Files.exists(Path.of(p + ".expected")), p.toString()));
    }
}
