package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Bad input never escapes as an exception: whatever the file holds, the loader returns errors with locations, or a
 * config, never both and never neither.
 */
class ConfigFuzzTest {
    static final List<String> KEYS;

    static {
        Set<String> k = new TreeSet<>();
        for (Set<String> s : List.of(ConfigBinder.ROOT_KEYS, ConfigBinder.TIMERS_KEYS, ConfigBinder.PIPE_KEYS,
                ConfigBinder.APP_KEYS, ConfigBinder.PROCESS_RULE_KEYS, ConfigBinder.FLOW_RULE_KEYS,
                ConfigBinder.POLICY_KEYS, ConfigBinder.CPU_KEYS, ConfigBinder.BANDWIDTH_KEYS)) {
            k.addAll(s);
        }
        k.add("bogus");
        KEYS = List.copyOf(k);
    }

    static void checkResult(ConfigLoader.Result r, String file) {
        assertNotNull(r);
        if (r.valid()) {
            assertEquals(List.of(), r.errors());
        } else {
            assertNull(r.config());
            assertFalse(r.errors().isEmpty());
            for (ConfigError e : r.errors()) {
                assertEquals(file, e.location().file());
                assertTrue(e.location().line() >= 0 && e.location().column() >= 0, e.toString());
                assertFalse(e.message().isBlank());
                assertFalse(e.toString().contains("\n"), "one line per error: " + e);
            }
        }
    }

    @Provide
    Arbitrary<Object> trees() {
        Arbitrary<Object> scalars = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(s -> (Object) s),
                Arbitraries.of("monitor", "enforce", "tcp", "10.0.0.0/8", "80", "8000-9000", "30mbit", "25%", "nginx",
                        "up", "*", "(", "x=y").map(s -> (Object) s),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.integers().between(-2, 70000).map(i -> (Object) i),
                Arbitraries.doubles().map(d -> (Object) d),
                Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.just(null));
        return Arbitraries.recursive(() -> scalars, this::containers, 4);
    }

    private Arbitrary<Object> containers(Arbitrary<Object> inner) {
        Arbitrary<Object> lists = inner.list().ofMaxSize(3).map(l -> (Object) new ArrayList<>(l));
        Arbitrary<Object> maps = Arbitraries.maps(Arbitraries.of(KEYS), inner).ofMaxSize(5)
                .map(m -> (Object) new LinkedHashMap<>(m));
        return Arbitraries.oneOf(lists, maps, maps);
    }

    @Property(tries = 200)
    void randomTreesGiveErrorsOrAConfigNeverAnException(@ForAll("trees") Object tree) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("apps", List.of(Map.of("name", "a", "processRules", List.of(tree))));
        root.put("pipes", tree);
        String json = new ObjectMapper().writeValueAsString(root);
        checkResult(ConfigLoader.parse("fuzz.json", json), "fuzz.json");
        String bare = new ObjectMapper().writeValueAsString(tree);
        checkResult(ConfigLoader.parse("bare.json", bare), "bare.json");
    }

    @Property(tries = 200)
    void truncatedAndCorruptedExamplesNeverThrow(@ForAll @IntRange(min = 0, max = 4000) int cut,
                                                 @ForAll @IntRange(min = 0, max = 3) int which,
                                                 @ForAll @IntRange(min = 0, max = 255) int junk) throws IOException {
        List<Path> files = ExamplesTest.exampleFiles().toList();
        String text = Files.readString(files.get(which % files.size()));
        int at = Math.min(cut, text.length());
        String broken = text.substring(0, at) + (char) junk + text.substring(at, Math.min(text.length(), at + 200));
        checkResult(ConfigLoader.parse("cut", broken), "cut");
    }
}
