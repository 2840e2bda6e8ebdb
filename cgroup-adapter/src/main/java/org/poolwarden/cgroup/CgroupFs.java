package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

/**
 * The cgroup file system as the real controllers use it: one write syscall per value, every call counted, every
 * failure a {@link KernelException} with its errno, and a guard that refuses to write anywhere but under our roots
 * (plus the few files outside them a controller registers on purpose: the evacuation group's {@code cgroup.procs},
 * an ancestor's {@code cgroup.subtree_control}).
 *
 * <p>Plain java.nio rather than {@code native}: cgroup files need nothing but open/read/write/mkdir/rmdir. The JDK
 * reports errno as its strerror text, which is mapped back to the number here (glibc's English texts; the JVM's
 * messages do not follow the locale).
 */
final class CgroupFs {
    /** Sleeps between retries; injected so tests of the retry logic do not sleep. */
    interface Sleeper {
        void sleep(long millis);
    }

    static final Sleeper REAL_SLEEP = ms -> {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    };

    /** runc retries rmdir on EBUSY 5 times from 10 ms doubling; so do we (310 ms worst case). */
    static final int RMDIR_ATTEMPTS = 6;
    static final long RMDIR_FIRST_BACKOFF_MS = 10;

    private static final Map<String, Integer> STRERROR = Map.ofEntries(
            Map.entry("Operation not permitted", Errno.EPERM), Map.entry("No such file or directory", Errno.ENOENT),
            Map.entry("No such process", Errno.ESRCH), Map.entry("Interrupted system call", Errno.EINTR),
            Map.entry("Input/output error", Errno.EIO), Map.entry("Argument list too long", 7),
            Map.entry("Resource temporarily unavailable", Errno.EAGAIN),
            Map.entry("Cannot allocate memory", Errno.ENOMEM), Map.entry("Permission denied", Errno.EACCES),
            Map.entry("Device or resource busy", Errno.EBUSY), Map.entry("File exists", Errno.EEXIST),
            Map.entry("No such device", Errno.ENODEV), Map.entry("Not a directory", Errno.ENOTDIR),
            Map.entry("Invalid argument", Errno.EINVAL), Map.entry("No space left on device", Errno.ENOSPC),
            Map.entry("Read-only file system", Errno.EROFS), Map.entry("Numerical result out of range", Errno.ERANGE),
            Map.entry("Directory not empty", Errno.ENOTEMPTY), Map.entry("Operation not supported", Errno.EOPNOTSUPP),
            Map.entry("Function not implemented", Errno.ENOSYS));

    private final CpuCounters counters;
    private final List<Path> roots;
    private final Set<Path> allowedOutside = new HashSet<>();
    private final Set<Path> procsMounts = new HashSet<>();
    private final Sleeper sleeper;

    CgroupFs(CpuCounters counters, List<Path> roots, Sleeper sleeper) {
        this.counters = counters;
        this.roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.sleeper = sleeper;
    }

    /** Lets one file outside our roots be written. */
    void allowOutside(Path file) {
        allowedOutside.add(file.toAbsolutePath().normalize());
    }

    /**
     * Lets the {@code cgroup.procs} of every cgroup under {@code mount} be written: a released process goes back to
     * the cgroup it came from, wherever that is. No other file outside our roots.
     */
    void allowProcsUnder(Path mount) {
        procsMounts.add(mount.toAbsolutePath().normalize());
    }

    /** Whether a path is ours to change: our roots themselves and everything below them. */
    boolean owned(Path p) {
        Path n = p.toAbsolutePath().normalize();
        return roots.stream().anyMatch(n::startsWith);
    }

    private void guard(String op, Path p) {
        Path n = p.toAbsolutePath().normalize();
        boolean procs = n.getFileName() != null && n.getFileName().toString().equals("cgroup.procs")
                && procsMounts.stream().anyMatch(n::startsWith);
        if (!owned(n) && !allowedOutside.contains(n) && !procs) {
            throw new KernelException(op, n.toString(), 0,
                    "refused: outside poolwarden's cgroup roots " + roots + "; poolwarden only changes what it owns");
        }
    }

    private static final ThreadLocal<ByteBuffer> READ_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocate(16384));
    /** A buffer grown for a huge cgroup.procs is kept up to this size, then dropped after the read. */
    private static final int MAX_KEPT_BUFFER = 1 << 20;

    String read(Path file) {
        counters.reads.incrementAndGet();
        // Big reads from offset 0: /proc/sys files answer only the first read (Files.readAllBytes starts with a
        // one-byte read for size-0 files), and one 16 KiB read returns a typical knob in one syscall.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // One buffer per thread, reused: a fresh 16 KiB array per read was most of the agent's garbage
            // (thousands of knob reads per slow tick with hundreds of groups).
            ByteBuffer b = READ_BUFFER.get();
            b.clear();
            while (ch.read(b) > 0) {
                if (!b.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(b.capacity() * 2);
                    b.flip();
                    bigger.put(b);
                    b = bigger;
                    if (b.capacity() <= MAX_KEPT_BUFFER) READ_BUFFER.set(b);
                }
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw fail("read", file, e);
        }
    }

    long readLong(Path file) {
        String s = read(file).strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new KernelException("parse", file.toString(), 0, "'" + s + "' is not a number");
        }
    }

    /** Numbers one per line ({@code cgroup.procs}, {@code tasks}). */
    Set<Integer> readIds(Path file) {
        String s = read(file);
        Set<Integer> out = new HashSet<>();
        int v = 0;
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                v = v * 10 + (c - '0');
                any = true;
            } else {
                if (any) {
                    out.add(v);
                }
                v = 0;
                any = false;
            }
        }
        if (any) {
            out.add(v);
        }
        return out;
    }

    /** One open, one write, one close: cgroup knobs take a value per write call. */
    void write(Path file, String value) {
        guard("write", file);
        counters.writes.incrementAndGet();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw fail("write '" + value + "' to", file, e);
        }
    }

    /**
     * Writes each value with its own write(2) on one open descriptor (cgroup.procs takes one pid per write; one open
     * for many pids halves the syscalls). Returns the values refused with ESRCH (the process is gone). EINVAL, which
     * a task still being created gives, is retried a few times, as runc does; any other error stops and is thrown.
     */
    List<String> writeEach(Path file, List<String> values) {
        guard("write", file);
        List<String> gone = new ArrayList<>();
        if (values.isEmpty()) {
            return gone;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (String v : values) {
                for (int attempt = 1;; attempt++) {
                    counters.writes.incrementAndGet();
                    try {
                        ch.write(ByteBuffer.wrap(v.getBytes(StandardCharsets.US_ASCII)));
                        break;
                    } catch (IOException e) {
                        int errno = errno(e);
                        if (errno == Errno.ESRCH) {
                            gone.add(v);
                            break;
                        }
                        if (errno == Errno.EINVAL && attempt < 5) {
                            sleeper.sleep(30);
                            continue;
                        }
                        throw fail("write '" + v + "' to", file, e);
                    }
                }
            }
        } catch (IOException e) {
            throw fail("open", file, e);
        }
        return gone;
    }

    /** Makes a directory; false when it already existed. */
    boolean mkdir(Path dir) {
        guard("mkdir", dir);
        counters.mkdirs.incrementAndGet();
        try {
            Files.createDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw fail("mkdir", dir, e);
        }
    }

    /**
     * Removes a cgroup directory. EBUSY (a task still leaving, a child group) is retried with backoff; a directory
     * that is already gone is fine.
     */
    void rmdir(Path dir) {
        guard("rmdir", dir);
        long backoff = RMDIR_FIRST_BACKOFF_MS;
        for (int attempt = 1;; attempt++) {
            counters.rmdirs.incrementAndGet();
            try {
                Files.delete(dir);
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                KernelException k = fail("rmdir", dir, e);
                if (!k.is(Errno.EBUSY) || attempt >= RMDIR_ATTEMPTS) {
                    throw k;
                }
                counters.busyRetries.incrementAndGet();
                sleeper.sleep(backoff);
                backoff *= 2;
            }
        }
    }

    boolean isDirectory(Path dir) {
        counters.reads.incrementAndGet();
        return Files.isDirectory(dir);
    }

    /** Subdirectory names; an absent directory has none. */
    List<String> listDirs(Path dir) {
        counters.reads.incrementAndGet();
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : ds) {
                out.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw fail("list", dir, e);
        }
        return out;
    }

    static KernelException fail(String op, Path file, IOException e) {
        return new KernelException(op, file.toString(), errno(e), errno(e) == 0 ? e.getMessage() : null, e);
    }

    /** The errno behind a JDK I/O exception, or 0 when it cannot be told. */
    static int errno(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof FileAlreadyExistsException) {
            return Errno.EEXIST;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY;
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        String text = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
        if (text == null) {
            return 0;
        }
        Integer n = STRERROR.get(text.strip());
        if (n == null) {
            for (Map.Entry<String, Integer> en : STRERROR.entrySet()) {
                if (text.endsWith(en.getKey())) {
                    return en.getValue();
                }
            }
            return 0;
        }
        return n;
    }
}
