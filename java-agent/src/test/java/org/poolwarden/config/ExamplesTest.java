package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file in the repository's examples/ must be valid, and together they must use every attribute. */
class ExamplesTest {
    static Path examplesDir() {
        String root = System.getenv("POOLWARDEN_PROJECT_ROOT");
        Path p = root != null ? Path.of(root, "examples") : Path.of("..", "examples");
        assertTrue(Files.isDirectory(p), "examples directory not found at " + p.toAbsolutePath());
        return p;
    }

    static Stream<Path> exampleFiles() throws IOException {
        try (Stream<Path> s = Files.list(examplesDir())) {
            return s.filter(p -> p.toString().matches(".*\\.(yaml|yml|json|xml)")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("exampleFiles")
    void exampleIsValid(Path file) {
        ConfigLoader.Result r = ConfigLoader.loadFile(file);
        assertEquals(List.of(), r.errors().stream().map(ConfigError::toString).toList(), file.toString());
        assertTrue(r.valid());
        assertTrue(r.config().apps().size() >= 2, "an example should show more than one app: " + file);
    }

    @Test
    void yamlAndJsonExamplesTogetherUseEveryKey() throws IOException {
        Set<String> used = new HashSet<>();
        for (Path p : exampleFiles().toList()) {
            String name = p.toString();
            if (name.endsWith(".xml")) continue;
            JsonNode n = (name.endsWith(".json") ? new ObjectMapper() : new YAMLMapper()).readTree(p.toFile());
            collectKeys(n, "", used);
        }
        Set<String> required = new TreeSet<>();
        ConfigBinder.ROOT_KEYS.forEach(k -> required.add(k));
        ConfigBinder.TIMERS_KEYS.forEach(k -> required.add("timers." + k));
        ConfigBinder.PIPE_KEYS.forEach(k -> required.add("pipes." + k));
        ConfigBinder.APP_KEYS.forEach(k -> required.add("apps." + k));
        ConfigBinder.PROCESS_RULE_KEYS.forEach(k -> required.add("apps.processRules." + k));
        ConfigBinder.FLOW_RULE_KEYS.forEach(k -> required.add("apps.flowRules." + k));
        ConfigBinder.POLICY_KEYS.forEach(k -> required.add("apps.policy." + k));
        ConfigBinder.CPU_KEYS.forEach(k -> required.add("apps.policy.cpu." + k));
        ConfigBinder.BANDWIDTH_KEYS.forEach(k -> required.add("apps.policy.bandwidth." + k));
        required.removeAll(used);
        assertEquals(Set.of(), required, "keys no example uses");
    }

    @Test
    void xmlExamplesTogetherUseEveryElement() throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path p : exampleFiles().toList()) if (p.toString().endsWith(".xml")) all.append(Files.readString(p));
        Set<String> missing = new TreeSet<>();
        for (String e : XmlRulesReader.PROCESS_CLAUSES.keySet()) if (!all.toString().contains("<" + e + ">")) missing.add(e);
        for (String e : XmlRulesReader.FLOW_CLAUSES.keySet()) if (!all.toString().contains("<" + e + ">")) missing.add(e);
        for (String e : List.of("APP-RULES", "APP-RULE", "JOB-DEFINITION", "PROCESS-RULES", "FLOW-RULES",
                "PROCESS-VALIDATION-CLAUSES", "FLOW-VALIDATION-CLAUSES", "POLICY", "PIPE", "CPU", "BANDWIDTH")) {
            if (!all.toString().contains("<" + e)) missing.add(e);
        }
        for (String a : List.of("INCLUDE-CHILD-PROCESSES\"", "PRIORITY=", "WEIGHT=", "PERCENT=", "CAP=", "BOOKING=",
                "BURST=", "CAPACITY=", "INTERFACE=")) {
            if (!all.toString().contains(a)) missing.add(a);
        }
        assertEquals(Set.of(), missing, "XML elements/attributes no example uses");
    }

    private static void collectKeys(JsonNode n, String prefix, Set<String> out) {
        if (n.isArray()) {
            for (JsonNode i : n) collectKeys(i, prefix, out);
        } else if (n.isObject()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                String path = prefix.isEmpty() ? k : prefix + "." + k;
                out.add(path);
                if (!path.equals("exchange") && !path.equals("pool")) collectKeys(n.get(k), path, out);
            }
        }
    }
}
