package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * ansible/ passes ansible-lint (Debian's package, installed here when missing: hence root, hence a kernel test) at
 * its strictest profile, and a planted violation is caught, so a lint that checks nothing cannot pass.
 */
@KernelTest
class AnsibleLintKernelTest {
    static Commands.Result lint(Path dir) {
        return Commands.run(List.of("ansible-lint", "--offline", "--nocolor", "--profile", "production"), dir,
                Map.of("ANSIBLE_CONFIG", dir.resolve("ansible.cfg").toString(), "NO_COLOR", "1"),
                Duration.ofMinutes(3));
    }

    @Test
    void roleAndPlaybookAreLintCleanAndAViolationIsCaught() throws IOException {
        KernelRequirement.require(Commands.ensureCommand("ansible-lint", "ansible-lint"));
        Path ansible = Commands.ROOT.resolve("ansible");
        Commands.Result clean = lint(ansible);
        assertEquals(0, clean.exitCode(), clean.describe());
        assertTrue((clean.stdout() + clean.stderr()).contains("Passed with production profile: 0 failure(s),"
                + " 0 warning(s)"), clean.describe());

        // The negative control, on a copy: a shell task without a name or changed_when.
        Path copy = Files.createTempDirectory("pw-lint");
        try {
            Commands.run(List.of("cp", "-a", ansible + "/.", copy.toString())).orThrow();
            Path tasks = copy.resolve("roles/poolwarden/tasks/config.yml");
            Files.writeString(tasks, Files.readString(tasks) + "\n- ansible.builtin.shell: echo hi\n");
            Commands.Result dirty = lint(copy);
            assertTrue(dirty.exitCode() != 0, dirty.describe());
            assertTrue((dirty.stdout() + dirty.stderr()).contains("name[missing]"), dirty.describe());
        } finally {
            Commands.run(List.of("rm", "-rf", copy.toString()));
        }
    }
}
