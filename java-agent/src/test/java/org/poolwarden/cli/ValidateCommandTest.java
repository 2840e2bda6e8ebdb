package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {
    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new ValidateCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void validFileExitsZero() throws IOException {
        Path f = tmp.resolve("ok.yaml");
        Files.writeString(f, "apps: [{name: a, processRules: [{name: a}]}]\n");
        Run r = run(f.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals(f + ": valid (mode monitor, 1 apps, 0 pipes)" + System.lineSeparator(), r.out());
    }

    @Test
    void ansibleTempFileWithoutExtensionIsDetectedByContentAndEveryErrorPrinted() throws IOException {
        // Ansible's validate hook runs "poolwarden validate %s" on a temp file like /tmp/tmpab12cd.
        Path f = tmp.resolve("tmpab12cd");
        Files.writeString(f, "{\n  \"mode\": \"fast\",\n  \"apps\": [{\"name\": \"a\", \"processRules\": [{\"pid\": 0}]}]\n}\n");
        Run r = run(f.toString());
        assertEquals(1, r.exit());
        assertEquals(List.of(
                f + ":2:11: mode: expected one of monitor, enforce, found the text \"fast\"",
                f + ":3:51: apps[0].processRules[0].pid: must be between 1 and 2147483647, found 0",
                f + ": invalid (2 errors)"), r.out().lines().toList());
    }

    @Test
    void anyInvalidFileMakesTheWholeRunFail() throws IOException {
        Path good = tmp.resolve("good.json");
        Files.writeString(good, "{\"apps\": [{\"name\": \"a\", \"flowRules\": [{\"localPort\": 80}]}]}");
        Path bad = tmp.resolve("bad.xml");
        Files.writeString(bad, "<APP-RULE NAME=\"b\"><PROCESS-RULE><PROCESS-ID>x</PROCESS-ID></PROCESS-RULE></APP-RULE>");
        Run r = run(good.toString(), bad.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains(good + ": valid"), r.out());
        assertTrue(r.out().contains(bad + ":1:34: apps[0].processRules[0].pid: expected a whole number"), r.out());
    }

    @Test
    void missingFileIsInvalidNotACrash() {
        Run r = run(tmp.resolve("none.yaml").toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith(tmp.resolve("none.yaml") + ":0:0: (file): no such file"), r.out());
    }

    @Test
    void usageErrorsExit64() {
        assertEquals(64, run().exit());
        Run bad = run("--no-such-option", "x");
        assertEquals(64, bad.exit());
        assertTrue(bad.err().contains("Unknown option: '--no-such-option'"), bad.err());
        Run help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Usage: validate [-h] [--json] FILE..."), help.out());
    }

    @Test
    void jsonReportHasEveryErrorWithItsParts() throws IOException {
        Path f = tmp.resolve("c");
        Files.writeString(f, "mode: monitor\nbogus: 1\napps:\n  - name: a\n    processRules: [{uid: -3}]\n");
        Run r = run("--json", f.toString());
        assertEquals(1, r.exit());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertEquals(false, doc.get("valid").asBoolean());
        JsonNode errs = doc.get("files").get(0).get("errors");
        assertEquals(2, errs.size());
        assertEquals(2, errs.get(0).get("line").asInt());
        assertEquals(1, errs.get(0).get("column").asInt());
        assertEquals("bogus", errs.get(0).get("field").asText());
        assertEquals("apps[0].processRules[0].uid", errs.get(1).get("field").asText());
        assertEquals(5, errs.get(1).get("line").asInt());
        assertEquals(f.toString(), errs.get(1).get("file").asText());
    }

    @Test
    void directoryIsCheckedAsTheAgentLoadsIt() throws IOException {
        Files.writeString(tmp.resolve("poolwarden.yaml"), "mode: enforce\napps: [{name: a, processRules: [{name: a}]}]\n");
        Files.writeString(tmp.resolve("r.xml"), "<APP-RULE NAME=\"b\"><PROCESS-RULE><PROCESS-NAME>b</PROCESS-NAME>"
                + "</PROCESS-RULE></APP-RULE>");
        Run r = run("--json", tmp.toString());
        assertEquals(0, r.exit(), r.out());
        JsonNode f = new ObjectMapper().readTree(r.out()).get("files").get(0);
        assertEquals(2, f.get("apps").asInt());
        assertEquals("enforce", f.get("mode").asText());
    }
}
