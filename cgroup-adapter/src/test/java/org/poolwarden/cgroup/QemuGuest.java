package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.poolwarden.os.Native;
import org.poolwarden.testing.KernelRequirement;

/**
 * A Debian stock kernel under qemu (TCG: no KVM here) with a tiny initramfs: static busybox, an init script, and
 * optionally a jlinked JRE with a classpath. Installs qemu-system-x86, linux-image-amd64 and busybox-static with
 * apt-get when they are missing and we are root. Public for the other modules' qemu tests, through the test-jar.
 */
public final class QemuGuest {
    public static final List<String> PACKAGES = List.of("qemu-system-x86", "linux-image-amd64", "busybox-static");
    public static final String QEMU = "/usr/bin/qemu-system-x86_64";

    private QemuGuest() {
    }

    /** Makes sure qemu, a kernel and static busybox are there; skips (or fails under CI) when they cannot be. */
    public static void ensureInstalled() throws IOException, InterruptedException {
        if (missing().isEmpty()) {
            return;
        }
        if (!Native.isRoot()) {
            KernelRequirement.require("missing " + missing() + " and not root to install " + PACKAGES);
        }
        List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        install.addAll(PACKAGES);
        if (run(install, 600) != 0) {
            run(List.of("apt-get", "update", "-q"), 600);
            run(install, 600);
        }
        KernelRequirement.require(missing().isEmpty() ? null : "could not install " + missing());
    }

    private static List<String> missing() throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        if (!Files.isExecutable(Path.of(QEMU))) {
            out.add("qemu-system-x86_64");
        }
        if (kernel() == null) {
            out.add("a /boot/vmlinuz-* kernel");
        }
        ProcessBuilder pb = new ProcessBuilder("dpkg-query", "-W", "-f=${Status}", "busybox-static");
        Process p = pb.redirectErrorStream(true).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        if (!status.contains("install ok installed") || !Files.isExecutable(Path.of("/bin/busybox"))) {
            out.add("static busybox");
        }
        return out;
    }

    private static int run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        p.getInputStream().transferTo(System.out);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** The newest installed kernel image (a bzImage; qemu boots it directly). */
    public static Path kernel() throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            ds.forEach(all::add);
        } catch (IOException e) {
            return null;
        }
        return all.stream().max(Comparator.comparing(Path::toString)).orElse(null);
    }

    /** A jlinked java.base+java.logging runtime with a CDS archive, built once into {@code dir}. */
    static Path jre(Path dir) throws IOException, InterruptedException {
        Path jre = dir.resolve("jre");
        if (Files.isExecutable(jre.resolve("bin/java"))) {
            return jre;
        }
        Files.createDirectories(dir);
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        KernelRequirement.require(Files.isExecutable(jlink) ? null : "no jlink in " + System.getProperty("java.home"));
        int rc = run(List.of(jlink.toString(), "--add-modules", "java.base,java.logging", "--strip-debug",
                "--no-header-files", "--no-man-pages", "--generate-cds-archive", "--output", jre.toString()), 300);
        if (rc != 0) {
            throw new IOException("jlink failed with exit code " + rc);
        }
        return jre;
    }

    /** The shared libraries the JRE needs, from ldd, each with the path the dynamic loader will look for. */
    static Set<Path> libraries(Path jre) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ldd", jre.resolve("bin/java").toString(),
                jre.resolve("lib/server/libjvm.so").toString()));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(jre.resolve("lib"), "*.so")) {
            ds.forEach(p -> cmd.add(p.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Set<Path> libs = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?:=>\\s*)?(/[^\\s]+\\.so[^\\s]*)\\s+\\(0x").matcher(out);
        while (m.find()) {
            Path lib = Path.of(m.group(1));
            if (!lib.startsWith(jre) && !lib.normalize().startsWith(jre.normalize())) {
                libs.add(lib);
            }
        }
        return libs;
    }

    /** The console output of one boot, and how long it took. */
    public record Boot(String console, double seconds, boolean finished) {
        /** The "PW " lines: key (second word) → rest of the line; later lines with the same key win. */
        public Map<String, String> results() {
            Map<String, String> out = new LinkedHashMap<>();
            for (String line : console.split("\r?\n")) {
                int i = line.indexOf("PW ");
                if (i >= 0) {
                    String[] f = line.substring(i + 3).strip().split(" ", 2);
                    out.put(f[0], f.length > 1 ? f[1] : "");
                }
            }
            return out;
        }
    }

    static Boot boot(Path kernel, Path initramfs, Path consoleLog, int cpus, int limitSeconds)
            throws IOException, InterruptedException {
        return boot(kernel, initramfs, consoleLog, cpus, 640, "console=ttyS0 quiet panic=-1 rdinit=/init psi=1",
                List.of(), limitSeconds);
    }

    /**
     * Boots and waits for the guest to power off, at most {@code limitSeconds}; then qemu is killed, so no guest
     * outlives the call.
     *
     * @param append    the kernel command line
     * @param extraArgs more qemu arguments, e.g. a {@code -virtfs} share
     */
    public static Boot boot(Path kernel, Path initramfs, Path consoleLog, int cpus, int memoryMiB, String append,
            List<String> extraArgs, int limitSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(QEMU, "-accel", "tcg", "-m", Integer.toString(memoryMiB), "-smp",
                Integer.toString(cpus), "-kernel", kernel.toString(), "-initrd", initramfs.toString(), "-append",
                append, "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"));
        cmd.addAll(extraArgs);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(consoleLog.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        boolean finished = p.waitFor(limitSeconds, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Boot(Files.readString(consoleLog, StandardCharsets.ISO_8859_1), seconds, finished);
    }

    /**
     * The kernel modules to insmod, in load order, for {@code names} and everything they depend on, from the
     * {@code modules.dep} of the kernel whose image is {@code kernel} ({@code /boot/vmlinuz-VERSION}).
     */
    public static List<Path> modules(Path kernel, String... names) throws IOException {
        String version = kernel.getFileName().toString().replaceFirst("^vmlinuz-", "");
        Path dir = Path.of("/lib/modules", version);
        Map<String, List<String>> deps = new LinkedHashMap<>();
        Map<String, String> byName = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String file = line.substring(0, colon);
            String rest = line.substring(colon + 1).strip();
            deps.put(file, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
            byName.put(Path.of(file).getFileName().toString().replaceFirst("\\.ko(\\.[a-z]+)?$", "").replace('-', '_'),
                    file);
        }
        Set<String> ordered = new LinkedHashSet<>();
        for (String n : names) {
            String file = byName.get(n.replace('-', '_'));
            if (file == null) {
                throw new IOException("no module " + n + " in " + dir.resolve("modules.dep"));
            }
            addWithDeps(file, deps, ordered);
        }
        List<Path> out = new ArrayList<>();
        for (String f : ordered) {
            out.add(dir.resolve(f));
        }
        return out;
    }

    private static void addWithDeps(String file, Map<String, List<String>> deps, Set<String> ordered) {
        if (ordered.contains(file)) {
            return;
        }
        for (String d : deps.getOrDefault(file, List.of())) {
            addWithDeps(d, deps, ordered);
        }
        ordered.add(file);
    }
}
