package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The published JSON Schema, run by a real validator: it accepts every YAML/JSON example and the embedded default,
 * and rejects the usual mistakes an editor should underline. (Cross-field rules — duplicate names, pipe references,
 * host bits — are only in `poolwarden validate`.)
 */
class SchemaValidatesExamplesTest {
    static final Schema SCHEMA = load();

    static Schema load() {
        try (InputStream in = SchemaValidatesExamplesTest.class.getResourceAsStream("/poolwarden.schema.json")) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> errors(JsonNode n) {
        return SCHEMA.validate(n).stream().map(Error::toString).toList();
    }

    static Stream<Path> yamlAndJsonExamples() throws IOException {
        return ExamplesTest.exampleFiles().filter(p -> !p.toString().endsWith(".xml"));
    }

    @ParameterizedTest
    @MethodSource("yamlAndJsonExamples")
    void everyExampleConformsToTheSchema(Path p) throws IOException {
        JsonNode n = (p.toString().endsWith(".json") ? new ObjectMapper() : new YAMLMapper()).readTree(p.toFile());
        assertEquals(List.of(), errors(n), p.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/org/poolwarden/config/default.yaml"})
    void theEmbeddedDefaultConforms(String resource) throws IOException {
        try (InputStream in = getClass().getResourceAsStream(resource)) {
            assertEquals(List.of(), errors(new YAMLMapper().readTree(in)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "bogus: 1",
            "mode: fast",
            "apps: [{name: a, processRules: [{nmae: x}]}]",
            "apps: [{name: a, processRules: [{}]}]",
            "apps: [{name: a, processRules: [{pid: 0}]}]",
            "apps: [{name: 'bad name', processRules: [{pid: 1}]}]",
            "apps: [{name: a, flowRules: [{localPort: 70000}]}]",
            "apps: [{name: a, flowRules: [{localPort: 'http'}]}]",
            "apps: [{name: a, flowRules: [{protocol: tcpp}]}]",
            "apps: [{name: a, policy: {priority: 11}}]",
            "apps: [{name: a, policy: {cpu: {weight: 0}}}]",
            "apps: [{name: a, policy: {cpu: {weight: 5, percent: 5}}}]",
            "apps: [{name: a, policy: {cpu: {cap: 150}}}]",
            "apps: [{name: a, policy: {bandwidth: [{pipe: up}]}}]",
            "apps: [{name: a, policy: {bandwidth: [{pipe: up, booking: 30mbps}]}}]",
            "pipes: [{name: up, interface: eth0}]",
            "pipes: [{name: up, interface: 'a/b', capacity: 1gbit}]",
            "timers: {fastTickMillis: 0}"})
    void commonMistakesAreFlagged(String yaml) throws IOException {
        assertFalse(errors(new YAMLMapper().readTree(yaml)).isEmpty(), yaml);
        assertFalse(ConfigLoader.parse("x.yaml", yaml).valid(), "validate agrees: " + yaml);
    }
}
