package org.poolwarden.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.poolwarden.os.Native;

/** Checks a {@link KernelTest}'s requirements; skips when they are missing, or fails when {@code CI=true}. */
public final class KernelRequirement implements BeforeAllCallback, BeforeEachCallback {
    private static final List<String> LIBRARY_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/lib");

    @Override
    public void beforeAll(ExtensionContext context) {
        check(context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, KernelTest.class)));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check(context.getTestMethod().flatMap(m -> AnnotationSupport.findAnnotation(m, KernelTest.class)));
    }

    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips, or fails under CI, when {@code problem} is not null. Usable from tests for their own requirements. */
    public static void require(String problem) {
        if (problem == null) {
            return;
        }
        String message = "kernel test cannot run: " + problem;
        if (ci()) {
            throw new AssertionError(message + " (CI=true: kernel tests must run; the test command installs what they need)");
        }
        Assumptions.abort(message);
    }

    private static void check(Optional<KernelTest> annotation) {
        if (annotation.isEmpty()) {
            return;
        }
        List<String> missing = new ArrayList<>();
        if (!Native.isAvailable()) {
            missing.add("libc not loadable through JNR-FFI: " + Native.unavailabilityCause());
        } else if (!Native.isRoot()) {
            missing.add("not running as root (euid " + Native.geteuid() + ")");
        }
        for (String cmd : annotation.get().needs()) {
            if (!onPath(cmd)) {
                missing.add("command '" + cmd + "' not found on PATH");
            }
        }
        for (String lib : annotation.get().libraries()) {
            if (LIBRARY_DIRS.stream().noneMatch(d -> Files.exists(Path.of(d, lib)))) {
                missing.add("library " + lib + " not installed");
            }
        }
        require(missing.isEmpty() ? null : String.join("; ", missing));
    }

    static boolean onPath(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
                return true;
            }
        }
        return false;
    }
}
