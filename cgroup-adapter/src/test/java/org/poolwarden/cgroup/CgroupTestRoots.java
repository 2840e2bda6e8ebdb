package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test roots on the real cgroup mounts: {@code poolwarden-test-<jvm pid>-<random>}, never the product's root. Every
 * test removes its own; {@link #sweep} removes those left by a JVM that died (its pid no longer exists), as the lab
 * harness does for network namespaces.
 */
public final class CgroupTestRoots {
    public static final String PREFIX = "poolwarden-test-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-[a-z0-9]+");
    private static final SecureRandom RANDOM = new SecureRandom();

    private CgroupTestRoots() {
    }

    public static String newName() {
        StringBuilder sb = new StringBuilder(PREFIX).append(ProcessHandle.current().pid()).append('-');
        for (int i = 0; i < 6; i++) {
            sb.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(RANDOM.nextInt(36)));
        }
        return sb.toString();
    }

    /** Removes test roots whose owning JVM is gone from each mount; returns how many. */
    public static int sweep(Path... mounts) {
        int removed = 0;
        for (Path mount : mounts) {
            if (mount == null || !Files.isDirectory(mount)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(mount, PREFIX + "*")) {
                for (Path dir : ds) {
                    Matcher m = NAME.matcher(dir.getFileName().toString());
                    if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                        removeTree(dir, mount);
                        removed++;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("sweeping " + mount + ": " + e, e);
            }
        }
        return removed;
    }

    /**
     * Removes a cgroup directory and everything under it, deepest first, moving any processes left inside to
     * {@code evacuateTo} (a cgroup of the same hierarchy) first. Tolerates what is already gone.
     */
    /** Kills the test's workload processes and waits for them, so their cgroups can be removed. */
    public static void killAll(List<Process> processes) throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    public static void removeTree(Path dir, Path evacuateTo) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            ds.forEach(children::add);
        } catch (IOException e) {
            return;
        }
        for (Path c : children) {
            removeTree(c, evacuateTo);
        }
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                for (String pid : Files.readString(dir.resolve("cgroup.procs")).split("\\s+")) {
                    if (!pid.isBlank()) {
                        try {
                            Files.writeString(evacuateTo.resolve("cgroup.procs"), pid);
                        } catch (IOException gone) {
                            // exited meanwhile
                        }
                    }
                }
                Files.delete(dir);
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        throw new IllegalStateException("could not remove test cgroup " + dir);
    }

    /** The cgroup path of a process in the v1 hierarchy of {@code controller} (e.g. "/x/y"), or null. */
    public static String v1PathOf(long pid, String controller) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && List.of(f[1].split(",")).contains(controller)) {
                    return f[2];
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** A pid that no process has right now. */
    public static int deadPid() {
        int max;
        try {
            try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/pid_max"))) {
                max = Integer.parseInt(new String(in.readNBytes(64), java.nio.charset.StandardCharsets.US_ASCII).strip());
            }
        } catch (IOException e) {
            max = 32768;
        }
        for (int p = max - 1; p > 300; p--) {
            if (!Files.exists(Path.of("/proc/" + p))) {
                return p;
            }
        }
        throw new IllegalStateException("no free pid");
    }
}
