package org.poolwarden.rollout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the commands the rollout tests drive (dpkg, ansible-playbook, systemd-analyze), with a cwd, env and timeout. */
final class Commands {
    static final Path ROOT = Path.of(System.getenv().getOrDefault("POOLWARDEN_PROJECT_ROOT", "..")).toAbsolutePath()
            .normalize();

    private Commands() {
    }

    /** Exit code and both outputs of one command. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        /** Everything a failed assertion should show. */
        String describe() {
            return String.join(" ", command) + " exited " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n"
                    + stderr;
        }

        Result orThrow() {
            if (exitCode != 0) {
                throw new IllegalStateException(describe());
            }
            return this;
        }
    }

    static Result run(List<String> command) {
        return run(command, null, Map.of(), Duration.ofSeconds(120));
    }

    /** Output goes through files, so a chatty command can never block on a full pipe. */
    static Result run(List<String> command, Path cwd, Map<String, String> env, Duration timeout) {
        try {
            Path out = Files.createTempFile("pw-cmd", ".out");
            Path err = Files.createTempFile("pw-cmd", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                if (cwd != null) {
                    pb.directory(cwd.toFile());
                }
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(command, -1, read(out), read(err) + "\n(timed out after " + timeout + ")");
                }
                return new Result(command, p.exitValue(), read(out), read(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(command, 127, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(command, -1, "", "interrupted");
        }
    }

    /** True when {@code cmd} is an executable on the PATH (or in /usr/sbin, /sbin). */
    static boolean onPath(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Installs the Debian package that provides {@code cmd} when the command is missing (the tests are root), then
     * skips the test, or fails it under CI, if it is still missing. Returns null when the command is there.
     */
    static String ensureCommand(String cmd, String... packages) {
        if (onPath(cmd)) {
            return null;
        }
        if (onPath("apt-get")) {
            List<String> install = new java.util.ArrayList<>(List.of("apt-get", "install", "-y", "-qq",
                    "--no-install-recommends"));
            install.addAll(List.of(packages));
            Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
            if (!run(install, null, env, Duration.ofMinutes(10)).ok()) {
                run(List.of("apt-get", "update", "-qq"), null, env, Duration.ofMinutes(5));
                run(install, null, env, Duration.ofMinutes(10));
            }
        }
        return onPath(cmd) ? null : "command '" + cmd + "' missing and apt-get could not install "
                + String.join(" ", packages);
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    /** dpkg's view of a package: "install ok installed", "deinstall ok config-files", or "" when it knows none. */
    static String packageStatus(String pkg) {
        Result r = run(List.of("dpkg-query", "-W", "-f=${Status}", pkg));
        return r.ok() ? r.stdout().strip() : "";
    }

    /** The package the Maven build made ({@code java-agent/target/poolwarden_VERSION_all.deb}), or null. */
    static Path builtDeb() {
        Path target = ROOT.resolve("java-agent/target");
        if (!Files.isDirectory(target)) {
            return null;
        }
        try (var s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("poolwarden_.+_all\\.deb")).findFirst()
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }
}
