package org.poolwarden.enforce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.poolwarden.cgroup.ProcessOrigins;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

/**
 * {@link Cgroup2Groups} on the cgroup2 mount ({@code /sys/fs/cgroup/unified} on hybrid hosts): plain directories and
 * {@code cgroup.procs} writes, one {@code write(2)} per pid. Before a process is first moved, the cgroup it came from
 * is remembered ({@link ProcessOrigins}, in a file when the agent has a state directory, so a restart does not
 * forget), and it goes back there when its group is removed (to the hierarchy's root when that cgroup is gone or
 * refuses it, or the pid now names another process).
 */
public final class Cgroup2FsGroups implements Cgroup2Groups {
    private final Path mount;
    private final Path root;
    private final Path procRoot;
    private final ProcessOrigins origins;
    private long writes;
    private long refused;

    /** @param root our root relative to the mount, e.g. {@code poolwarden} */
    public Cgroup2FsGroups(Path mount, String root) {
        this(mount, root, ProcessOrigins.inMemory());
    }

    /** @param origins where the processes' original cgroups are recorded (a file-backed one outlives the agent) */
    public Cgroup2FsGroups(Path mount, String root, ProcessOrigins origins) {
        this(mount, root, Path.of("/proc"), origins);
    }

    Cgroup2FsGroups(Path mount, String root, Path procRoot) {
        this(mount, root, procRoot, ProcessOrigins.inMemory());
    }

    Cgroup2FsGroups(Path mount, String root, Path procRoot, ProcessOrigins origins) {
        org.poolwarden.cgroup.GroupNames.checkRoot(root);
        this.mount = mount;
        this.root = mount.resolve(root);
        this.procRoot = procRoot;
        this.origins = origins;
    }

    public ProcessOrigins origins() {
        return origins;
    }

    public Path root() {
        return root;
    }

    /** mkdirs, rmdirs and procs writes since creation. */
    public long writes() {
        return writes;
    }

    /** Processes the kernel would not move into a group (other than exited ones). */
    public long refused() {
        return refused;
    }

    @Override
    public void reconcile(Set<String> groups) {
        for (String g : groups) org.poolwarden.cgroup.GroupNames.check(g);
        if (!Files.isDirectory(root)) {
            mkdirs(root);
        }
        for (String g : groups) {
            Path d = root.resolve(g);
            if (!Files.isDirectory(d)) mkdir(d);
        }
        try {
            for (String g : names()) {
                if (!groups.contains(g)) remove(root.resolve(g));
            }
        } finally {
            saveOrigins();
        }
    }

    @Override
    public int place(String group, Set<Integer> pids) {
        Path procs = root.resolve(org.poolwarden.cgroup.GroupNames.check(group)).resolve("cgroup.procs");
        Set<Integer> inside = readIds(procs);
        int moved = 0;
        for (int pid : pids) {
            if (inside.contains(pid)) continue;
            String from = cgroupOf(pid);
            java.util.OptionalLong start = ProcessOrigins.startTicks(procRoot, pid);
            if (from == null) continue; // exited
            try {
                write(procs, Integer.toString(pid));
                if (start.isPresent()) noteOrigin(pid, start.getAsLong(), from);
                moved++;
            } catch (KernelException e) {
                // ESRCH: exited. Anything else (a kernel thread, a process in a threaded subtree) concerns this one
                // process only: it is counted and the others are still placed.
                if (!e.is(Errno.ESRCH)) refused++;
            }
        }
        saveOrigins();
        return moved;
    }

    @Override
    public Map<String, Set<Integer>> list() {
        Map<String, Set<Integer>> out = new TreeMap<>();
        for (String g : names()) out.put(g, readIds(root.resolve(g).resolve("cgroup.procs")));
        return out;
    }

    @Override
    public void removeAll() {
        if (!Files.isDirectory(root)) return;
        try {
            for (String g : names()) remove(root.resolve(g));
            remove(root);
        } finally {
            saveOrigins();
        }
    }

    /** The first cgroup a process was in outside our root; later moves between our groups keep it. */
    private void noteOrigin(int pid, long start, String from) {
        try {
            if (!ProcessOrigins.under(mount, from).startsWith(root)) {
                origins.recordIfAbsent(pid, new ProcessOrigins.Origin(start, List.of(from)));
            }
        } catch (IllegalArgumentException e) {
            // "/../x": outside our cgroup namespace, nowhere to go back to
        }
    }

    /** Where a released process goes: its origin if that is still a cgroup outside our root and it is the same process. */
    private Path homeOf(int pid) {
        ProcessOrigins.Origin o = origins.take(pid);
        if (o == null) return mount;
        java.util.OptionalLong now = ProcessOrigins.startTicks(procRoot, pid);
        Path home = ProcessOrigins.under(mount, o.cgroups().get(0));
        if (now.isEmpty() || now.getAsLong() != o.startTicks() || home.startsWith(root) || !Files.isDirectory(home)) {
            return mount;
        }
        return home;
    }

    private void saveOrigins() {
        origins.saveIfChanged(pid -> Files.isDirectory(procRoot.resolve(Integer.toString(pid))));
    }

    /** Removes a directory tree of cgroups, deepest first, putting processes back where they came from. */
    private void remove(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path c : ds) remove(c);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new KernelException("list", dir.toString(), errno(e), e.getMessage(), e);
        }
        for (int attempt = 0; ; attempt++) {
            for (int pid : readIds(dir.resolve("cgroup.procs"))) {
                Path target = homeOf(pid);
                try {
                    write(target.resolve("cgroup.procs"), Integer.toString(pid));
                } catch (KernelException e) {
                    if (!e.is(Errno.ESRCH)) {
                        write(mount.resolve("cgroup.procs"), Integer.toString(pid)); // e.g. a domain that became threaded
                    }
                }
            }
            try {
                Files.delete(dir);
                writes++;
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                // EBUSY: a process forked into it meanwhile, or the kernel has not yet let go of one that exited
                if (attempt >= 5) throw new KernelException("rmdir", dir.toString(), errno(e), e.getMessage(), e);
                try {
                    Thread.sleep(10L << attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new KernelException("rmdir", dir.toString(), Errno.EINTR, "interrupted", ie);
                }
            }
        }
    }

    private Set<String> names() {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path p : ds) out.add(p.getFileName().toString());
        } catch (IOException e) {
            throw new KernelException("list", root.toString(), errno(e), e.getMessage(), e);
        }
        return out;
    }

    /** The process's cgroup2 path ("0::/path" in /proc/PID/cgroup), or null when it has exited. */
    private String cgroupOf(int pid) {
        try {
            for (String line : Files.readAllLines(procRoot.resolve(Integer.toString(pid)).resolve("cgroup"))) {
                if (line.startsWith("0::")) return line.substring(3);
            }
            return "/";
        } catch (IOException e) {
            return null;
        }
    }

    private static Set<Integer> readIds(Path file) {
        Set<Integer> out = new TreeSet<>();
        try {
            for (String s : Files.readString(file, StandardCharsets.US_ASCII).split("\\s+")) {
                if (!s.isEmpty()) out.add(Integer.parseInt(s));
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new KernelException("read", file.toString(), errno(e), e.getMessage(), e);
        }
        return out;
    }

    private void mkdirs(Path dir) {
        Path p = mount;
        for (Path part : mount.relativize(dir)) {
            p = p.resolve(part.toString());
            if (!Files.isDirectory(p)) mkdir(p);
        }
    }

    private void mkdir(Path dir) {
        try {
            Files.createDirectory(dir);
            writes++;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made meanwhile: fine
        } catch (IOException e) {
            throw new KernelException("mkdir", dir.toString(), errno(e), e.getMessage(), e);
        }
    }

    private void write(Path file, String value) {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), java.nio.file.StandardOpenOption.WRITE);
            writes++;
        } catch (IOException e) {
            throw new KernelException("write " + value + " to", file.toString(), errno(e), e.getMessage(), e);
        }
    }

    /** errno from the JDK's exception (its type, else the strerror text it carries). */
    static int errno(IOException e) {
        if (e instanceof NoSuchFileException) return Errno.ENOENT;
        if (e instanceof DirectoryNotEmptyException) return Errno.EBUSY;
        if (e instanceof java.nio.file.AccessDeniedException) return Errno.EACCES;
        String m = String.valueOf(e.getMessage());
        if (m.contains("No such process")) return Errno.ESRCH;
        if (m.contains("busy")) return Errno.EBUSY;
        if (m.contains("Invalid argument")) return Errno.EINVAL;
        if (m.contains("Operation not supported")) return Errno.EOPNOTSUPP;
        return Errno.EIO;
    }
}
