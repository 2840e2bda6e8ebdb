package org.poolwarden.rollout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

import org.poolwarden.testing.KernelRequirement;

/**
 * Lets a test install the poolwarden package on this machine without harming one an operator installed: refuses to
 * run when a package the tests did not install is present, moves an existing /etc/poolwarden aside and puts it back,
 * and purges what the test installed on close. A marker in /run tells a later run that a package left by a killed
 * test run is the tests' own, so it may be purged.
 *
 * <p>The package is machine-wide state and several builds share a machine, so the guard holds an exclusive lock
 * (/run/poolwarden-rollout-test.lock) from acquire to close: concurrent builds take turns instead of purging each
 * other's package mid-test.
 */
final class HostPackageGuard implements AutoCloseable {
    static final String PACKAGE = "poolwarden";
    static final Path ETC = Path.of("/etc/poolwarden");
    static final Path BACKUP = Path.of("/etc/poolwarden.rollout-test-backup");
    static final Path MARKER = Path.of("/run/poolwarden-rollout-test.installed");
    static final Path LOCK = Path.of("/run/poolwarden-rollout-test.lock");
    /** Another build's whole rollout test class takes about two minutes on a loaded machine. */
    static final Duration LOCK_WAIT = Duration.ofMinutes(10);

    private final FileChannel lockChannel;
    private final FileLock lock;

    private HostPackageGuard(FileChannel lockChannel, FileLock lock) {
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Waits for the machine-wide lock, then skips (or fails under CI) when a package not the tests' is there. */
    static HostPackageGuard acquire() {
        FileChannel channel;
        FileLock held = null;
        try {
            channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
            while (held == null && System.nanoTime() < deadline) {
                held = channel.tryLock();
                if (held == null) {
                    Thread.sleep(1000); // waiting on another build, not on time in our own code
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + LOCK, e);
        }
        if (held == null) {
            throw new IllegalStateException("another build held " + LOCK + " for more than " + LOCK_WAIT);
        }
        HostPackageGuard guard = new HostPackageGuard(channel, held);
        try {
            guard.prepare();
        } catch (RuntimeException | Error e) {
            guard.release();
            throw e;
        }
        return guard;
    }

    private void prepare() {
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
    }

    private void release() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        } finally {
            release();
        }
    }
}
