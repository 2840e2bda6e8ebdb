package org.poolwarden.rollout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.poolwarden.testing.KernelRequirement;

/**
 * Lets a test install the poolwarden package on this machine without harming one an operator installed: refuses to
 * run when a package the tests did not install is present, moves an existing /etc/poolwarden aside and puts it back,
 * and purges what the test installed on close. A marker in /run tells a later run that a package left by a killed
 * test run is the tests' own, so it may be purged.
 */
final class HostPackageGuard implements AutoCloseable {
    static final String PACKAGE = "poolwarden";
    static final Path ETC = Path.of("/etc/poolwarden");
    static final Path BACKUP = Path.of("/etc/poolwarden.rollout-test-backup");
    static final Path MARKER = Path.of("/run/poolwarden-rollout-test.installed");

    private HostPackageGuard() {
    }

    /** Skips (or fails under CI) when the machine holds a poolwarden package that is not the tests'. */
    static HostPackageGuard acquire() {
        String status = Commands.packageStatus(PACKAGE);
        if (!status.isEmpty() && !status.endsWith("not-installed")) {
            if (Files.exists(MARKER)) {
                purge();
            } else {
                KernelRequirement.require("a poolwarden package the tests did not install is on this machine ("
                        + status + "); the test will not remove it (dpkg --purge poolwarden, then run again)");
            }
        }
        try {
            if (Files.exists(BACKUP) && !Files.exists(ETC)) {
                Files.move(BACKUP, ETC); // a killed run's backup: the operator's files come first
            }
            if (Files.exists(ETC)) {
                if (Files.exists(BACKUP)) {
                    KernelRequirement.require("both " + ETC + " and " + BACKUP + " exist; sort them out by hand");
                }
                Files.move(ETC, BACKUP);
            }
            Files.writeString(MARKER, Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new HostPackageGuard();
    }

    static Commands.Result purge() {
        return Commands.run(List.of("dpkg", "--purge", PACKAGE));
    }

    @Override
    public void close() {
        try {
            String status = Commands.packageStatus(PACKAGE);
            if (!status.isEmpty() && !status.endsWith("not-installed")) {
                purge().orThrow();
            }
            if (Files.exists(BACKUP)) {
                Commands.run(List.of("rm", "-rf", ETC.toString())).orThrow();
                Files.move(BACKUP, ETC);
            }
            Files.deleteIfExists(MARKER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
