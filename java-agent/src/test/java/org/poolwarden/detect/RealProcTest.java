package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.poolwarden.config.ConfigLoader;

/** Detection on this host's real /proc: a sleep child with a distinctive command line and environment is found. */
class RealProcTest {
    @Test
    void findsASleepChildByCommandLineAndEnvironmentAndSeesItExit() throws Exception {
        boolean linux = Files.isReadable(Path.of("/proc/self/stat"));
        if ("true".equals(System.getenv("CI"))) assertTrue(linux, "CI must run on Linux with /proc");
        assumeTrue(linux, "needs Linux /proc");
        String seconds = "3" + ThreadLocalRandom.current().nextInt(100, 999) + "." + ThreadLocalRandom.current()
                .nextInt(1000, 9999);
        String marker = UUID.randomUUID().toString();
        ConfigLoader.Result cfg = ConfigLoader.parse("t.yaml", """
                apps:
                  - name: marked-sleep
                    processRules:
                      - {name: sleep, cmdline: "sleep %s", env: "POOLWARDEN_TEST_MARKER=%s"}
                  - name: java-tests
                    processRules: [{pid: %d}]
                """.formatted(seconds, marker, ProcessHandle.current().pid()));
        assertEquals(List.of(), cfg.errors());
        ProcessBuilder pb = new ProcessBuilder("sleep", seconds);
        pb.environment().put("POOLWARDEN_TEST_MARKER", marker);
        Process p = pb.start();
        try {
            ProcessDetector d = new ProcessDetector(ProcReader.system(), IdNames.system(), "local", cfg.config().apps());
            // The child execs sleep shortly after start; until then it is the JVM's spawn helper. Scan until the
            // exec has happened (bounded), as the slow tick would.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Inventory inv = d.scan().inventory();
            while (!inv.pids("marked-sleep").contains((int) p.pid()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                inv = d.scan().inventory();
            }
            assertEquals(List.of((int) p.pid()), inv.pids("marked-sleep"), "exactly our sleep child");
            assertTrue(inv.pids("java-tests").contains((int) ProcessHandle.current().pid()));
            assertTrue(inv.total() > 2);
            long classifiedBefore = d.classified();
            d.scan();
            assertTrue(d.classified() - classifiedBefore < 50, "an idle rescan re-evaluates (almost) nothing");

            p.destroy();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            ScanResult after = d.scan();
            assertTrue(after.exited().contains(new ScanResult.ProcessEvent((int) p.pid(), "marked-sleep", null)),
                    after.exited().toString());
            assertFalse(after.inventory().apps().containsKey("marked-sleep"));
        } finally {
            p.destroyForcibly();
        }
    }
}
