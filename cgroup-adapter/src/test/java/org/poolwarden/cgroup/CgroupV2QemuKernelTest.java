package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelTest;

/**
 * Pure cgroup v2, which this hybrid host cannot give us: boots Debian's stock kernel under qemu (TCG) with a tiny
 * initramfs that mounts cgroup2 and (1) runs two busy loops pinned to one CPU in groups of cpu.weight 300 and 100,
 * (2) runs a busy loop under cpu.max "25000 100000", (3) runs the {@link CpuControllerContract} against
 * {@link CgroupV2CpuController} on a jlinked JRE. The guest reports over the serial console; this test asserts.
 */
@KernelTest
class CgroupV2QemuKernelTest {
    static final double TOLERANCE = 0.05;
    static final int LIMIT_SECONDS = 150;

    @Test
    void weightsCapAndTheContractOnPureCgroupV2() throws Exception {
        long t0 = System.nanoTime();
        QemuGuest.ensureInstalled();
        Path work = Path.of("target", "qemu").toAbsolutePath();
        Files.createDirectories(work);
        Path jre = QemuGuest.jre(work);
        Path image = work.resolve("initramfs.cpio");
        List<String> classpath = new ArrayList<>();
        try (Initramfs cpio = new Initramfs(image)) {
            cpio.dir("proc").dir("sys").dir("dev").dir("tmp");
            cpio.file("bin/busybox", Path.of("/bin/busybox"));
            try (InputStream in = getClass().getResourceAsStream("/qemu/init.sh")) {
                assertNotNull(in, "qemu/init.sh on the test classpath");
                cpio.file("init", in.readAllBytes(), 0755);
            }
            cpio.tree("jre", jre);
            for (Path lib : QemuGuest.libraries(jre)) {
                cpio.file(lib.toString(), lib.toRealPath());
            }
            int i = 0;
            for (Class<?> c : List.of(org.junit.platform.launcher.core.LauncherFactory.class,
                    org.junit.platform.engine.TestEngine.class, org.junit.platform.commons.util.ReflectionUtils.class,
                    org.junit.jupiter.engine.JupiterTestEngine.class, org.junit.jupiter.api.Test.class,
                    org.opentest4j.AssertionFailedError.class, org.apiguardian.api.API.class,
                    org.poolwarden.os.KernelException.class, CgroupLayout.class, CpuControllerContract.class)) {
                Path src = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
                String dest = "/cp/" + (i++) + (Files.isDirectory(src) ? "" : ".jar");
                if (classpath.contains(dest)) {
                    continue;
                }
                if (Files.isDirectory(src)) {
                    cpio.tree(dest, src);
                } else {
                    cpio.file(dest, src);
                }
                classpath.add(dest);
            }
            cpio.text("cp/classpath", String.join(":", classpath), 0644);
        }
        QemuGuest.Boot boot = QemuGuest.boot(QemuGuest.kernel(), image, work.resolve("console.log"), 2, LIMIT_SECONDS);
        if (!boot.finished()) {
            // A TCG guest has been seen (once in many runs) to stall mid-script on this 2-core host. One more boot
            // tells such a stall from a real failure; every assertion below still applies to the run that finished.
            System.out.println("guest did not power off within " + LIMIT_SECONDS + " s; booting once more. Console:\n"
                    + boot.console());
            boot = QemuGuest.boot(QemuGuest.kernel(), image, work.resolve("console-retry.log"), 2, LIMIT_SECONDS);
        }
        Map<String, String> r = boot.results();
        String tail = boot.console().length() > 3000 ? boot.console().substring(boot.console().length() - 3000) : boot.console();
        assertTrue(boot.finished(), "the guest powered off within " + LIMIT_SECONDS + " s; console tail:\n" + tail);
        assertTrue(r.containsKey("done"), "the guest ran to the end; console tail:\n" + tail);

        Matcher w = match("a_usec=(\\d+) b_usec=(\\d+)", r.get("weight"), tail);
        double ratio = Double.parseDouble(w.group(1)) / Double.parseDouble(w.group(2));
        Matcher c = match("used_usec=(\\d+) wall_from=([\\d.]+) wall_to=([\\d.]+) periods=(\\d+) throttled=(\\d+)",
                r.get("cap"), tail);
        double wall = Double.parseDouble(c.group(3)) - Double.parseDouble(c.group(2));
        double used = Double.parseDouble(c.group(1)) / 1e6 / wall;
        Matcher j = match("found=(\\d+) succeeded=(\\d+) failed=(\\d+) skipped=(\\d+)", r.get("junit"), tail);
        int expected = countTests(CgroupV2CpuControllerVmContract.class);
        String report = String.format("qemu TCG, %s: boot+run %.1f s (whole test %.1f s); weights 300:100 on one CPU ->"
                + " ratio %.3f (%s); cap 0.25 -> %.4f CPU over %.2f s, throttled %s of %s periods; contract in guest:"
                + " %s of %d", r.get("kernel"), boot.seconds(), (System.nanoTime() - t0) / 1e9, ratio, r.get("weight"),
                used, wall, c.group(5), c.group(4), r.get("junit"), expected);
        System.out.println(report);
        Files.writeString(work.resolve("result.txt"), report + "\n");

        assertEquals(3.0, ratio, 3.0 * TOLERANCE, report);
        assertEquals(0.25, used, 0.25 * TOLERANCE, report);
        assertEquals(expected, Integer.parseInt(j.group(1)), "tests found in the guest; " + report);
        assertEquals(expected, Integer.parseInt(j.group(2)), "tests passed in the guest; " + report + "\n" + tail);
    }

    private static Matcher match(String regex, String line, String tail) {
        assertNotNull(line, "a result line for /" + regex + "/ on the console; tail:\n" + tail);
        Matcher m = Pattern.compile(regex).matcher(line);
        assertTrue(m.find(), "'" + line + "' matches /" + regex + "/");
        return m;
    }

    static int countTests(Class<?> c) {
        int n = 0;
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.isAnnotationPresent(Test.class)) {
                    n++;
                }
            }
        }
        return n;
    }
}
