package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the writer writes reads back as the same config, in YAML and in JSON, for every example. */
class ConfigWriterTest {
    static Stream<Path> examples() throws IOException {
        return ExamplesTest.exampleFiles();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void roundTripsThroughYamlAndJson(Path p) {
        PoolwardenConfig c = ConfigLoader.loadFile(p).config();
        String yaml = ConfigWriter.toYaml(c);
        ConfigLoader.Result y = ConfigLoader.parse("written.yaml", yaml);
        assertEquals(List.of(), y.errors(), yaml);
        assertEquals(c.toString(), y.config().toString());
        String json = ConfigWriter.toJson(c);
        ConfigLoader.Result j = ConfigLoader.parse("written.json", json);
        assertEquals(List.of(), j.errors(), json);
        assertEquals(c.toString(), j.config().toString());
        assertEquals(yaml, ConfigWriter.toYaml(y.config()), "writing is stable");
    }

    @Test
    void textThatLooksLikeNumbersOrBooleansStaysText() {
        String src = """
                apps:
                  - name: "1000"
                    processRules:
                      - {user: "007", group: "1.5", parentName: "true", name: "no", cmdline: "null"}
                      - {env: "X=yes", cmdlineRegex: "~", name: "* x"}
                """;
        PoolwardenConfig c = ConfigLoader.parse("t.yaml", src).config();
        ConfigLoader.Result back = ConfigLoader.parse("w.yaml", ConfigWriter.toYaml(c));
        assertEquals(List.of(), back.errors(), ConfigWriter.toYaml(c));
        assertEquals(c.toString(), back.config().toString());
    }

    @Test
    void seedXmlBecomesReadableYaml() {
        String yaml = ConfigWriter.toYaml(ConfigLoader.parse("r.xml", """
                <APP-RULE NAME="AppDaemons" FLAGS="INCLUDE-CHILD-PROCESSES">
                  <PROCESS-RULE><PROCESS-VALIDATION-CLAUSES><CMDLINE>appd*</CMDLINE></PROCESS-VALIDATION-CLAUSES></PROCESS-RULE>
                  <FLOW-RULE><FLOW-VALIDATION-CLAUSES><LOCAL-PORT>3723</LOCAL-PORT></FLOW-VALIDATION-CLAUSES></FLOW-RULE>
                </APP-RULE>
                """).config());
        assertEquals("""
                mode: monitor
                apps:
                - name: AppDaemons
                  includeChildren: true
                  processRules:
                  - cmdline: appd*
                  flowRules:
                  - localPort: 3723
                """, yaml);
        assertTrue(ConfigLoader.parse("y", yaml).valid());
    }
}
