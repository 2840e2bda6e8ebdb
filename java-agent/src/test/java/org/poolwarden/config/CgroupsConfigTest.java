package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code cgroups.root}: where the agent's cgroups go, e.g. into the systemd unit's delegated subtree. */
class CgroupsConfigTest {
    @TempDir
    Path tmp;

    @Test
    void absentMeansTheDefaultRootAtTheTopOfEachMount() {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", "mode: monitor\n");
        assertEquals(List.of(), r.errors());
        assertEquals("poolwarden", r.config().cgroups().root());
        assertEquals(PoolwardenConfig.Cgroups.DEFAULT, ConfigLoader.embeddedDefault().config().cgroups());
    }

    @Test
    void theSystemdUnitsDelegatedSubtreeIsAccepted() {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", "cgroups:\n  root: poolwarden.slice/poolwarden.service/apps\n");
        assertEquals(List.of(), r.errors());
        assertEquals(PoolwardenConfig.Cgroups.SYSTEMD_ROOT, r.config().cgroups().root());
    }

    @Test
    void aDirectoryWithRulesFilesKeepsTheMainFilesRoot() throws Exception {
        Files.writeString(tmp.resolve("poolwarden.yaml"), "cgroups: {root: pw/apps}\n");
        Files.writeString(tmp.resolve("10-x.xml"), "<APP-RULES><APP-RULE NAME=\"x\"><PROCESS-RULE>"
                + "<PROCESS-NAME>x</PROCESS-NAME></PROCESS-RULE></APP-RULE></APP-RULES>");
        ConfigLoader.Result r = ConfigLoader.loadDirectory(tmp);
        assertEquals(List.of(), r.errors());
        assertEquals("pw/apps", r.config().cgroups().root());
        assertEquals(1, r.config().apps().size());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            '/sys/fs/cgroup/poolwarden.slice/poolwarden.service/apps' | 2:9: cgroups.root: cgroup root '/sys/fs/cgroup/poolwarden.slice/poolwarden.service/apps' must be a relative path of safe components, such as 'poolwarden' (did you mean "poolwarden.slice/poolwarden.service/apps"?)
            '/sys/fs/cgroup/cpu/poolwarden/'                           | 2:9: cgroups.root: cgroup root '/sys/fs/cgroup/cpu/poolwarden/' must be a relative path of safe components, such as 'poolwarden' (did you mean "poolwarden"?)
            'a/../b'                                                   | 2:9: cgroups.root: cgroup name '..' is not a safe path component (letters, digits, _ . @ : -, not starting with '.' or '-', at most 128 characters)
            'pw/cpu.max'                                               | 2:9: cgroups.root: cgroup name 'cpu.max' collides with the kernel's 'cpu.' control files
            'pw/'                                                      | 2:9: cgroups.root: cgroup root 'pw/' must be a relative path of safe components, such as 'poolwarden'
            ''                                                         | 2:9: cgroups.root: must not be empty
            """)
    void aBadRootIsOneErrorNamingTheField(String root, String expected) {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", "cgroups:\n  root: '" + root + "'\n");
        assertNull(r.config());
        assertEquals(List.of("t.yaml:" + expected), r.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void wrongShapesAreErrorsNamingTheField() {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", "cgroups:\n  rot: x\n");
        assertEquals(List.of("t.yaml:2:3: cgroups.rot: unknown field (did you mean \"root\"?) (allowed: root)"),
                r.errors().stream().map(ConfigError::toString).toList());
        r = ConfigLoader.parse("t.yaml", "cgroups:\n  root: 5\n");
        assertEquals(List.of("t.yaml:2:9: cgroups.root: expected text, found the number 5"),
                r.errors().stream().map(ConfigError::toString).toList());
        r = ConfigLoader.parse("t.yaml", "cgroups: poolwarden\n");
        assertEquals(1, r.errors().size(), r.errors().toString());
        assertEquals("cgroups", r.errors().get(0).field());
    }

    @Test
    void theWriterKeepsANonDefaultRootAndLeavesTheDefaultOut() {
        PoolwardenConfig c = ConfigLoader.parse("t.yaml", "cgroups: {root: a/b}\n").config();
        String yaml = ConfigWriter.toYaml(c);
        assertEquals(c, ConfigLoader.parse("again.yaml", yaml).config());
        assertEquals(false, ConfigWriter.toYaml(ConfigLoader.parse("t.yaml", "mode: monitor\n").config())
                .contains("cgroups"));
    }
}
