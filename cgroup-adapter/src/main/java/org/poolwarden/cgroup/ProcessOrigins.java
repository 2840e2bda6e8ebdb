package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * Where the processes a controller moved into its groups came from, so that a release puts each one back into the
 * cgroup it was in (its systemd unit, its container) instead of the hierarchy's top. Per pid: the process's start time
 * (field 22 of {@code /proc/PID/stat}, in clock ticks since boot: a later process with the same pid has another) and
 * its cgroup path in each hierarchy the controller writes (one on v2 and for co-mounted v1 cpu,cpuacct; cpu then
 * cpuacct when they are separate), as {@code /proc/PID/cgroup} names them.
 *
 * <p>Kept in memory, and, when a file is given, written through to it after every change (a temporary file renamed
 * over it), so an agent killed with SIGKILL and started again still knows where its processes belong. Without a file
 * that knowledge dies with the process and a later release falls back to the evacuation group.
 *
 * <p>The file is text, one process per line: {@code pid start path...}, paths escaped ({@code \\}, {@code \s} for a
 * space, {@code \n}). {@link #parse} and {@link #format} are the pure codec. Not thread-safe, like the controllers.
 */
public final class ProcessOrigins {
    /** One process's start time and origin cgroup per hierarchy. */
    public record Origin(long startTicks, List<String> cgroups) {
        public Origin {
            if (startTicks < 0) {
                throw new IllegalArgumentException("start time " + startTicks + " is negative");
            }
            cgroups = List.copyOf(cgroups);
            if (cgroups.isEmpty()) {
                throw new IllegalArgumentException("an origin names at least one cgroup");
            }
            for (String c : cgroups) {
                checkPath(c);
            }
        }
    }

    /** What {@link #parse} made of a file: the entries it could read and one message per line it could not. */
    public record Parsed(Map<Integer, Origin> origins, List<String> problems) {
    }

    static final String HEADER = "# poolwarden: the cgroups the processes in its groups came from (pid start-ticks"
            + " cgroup per hierarchy)";

    private final Path file;
    private final Map<Integer, Origin> byPid = new TreeMap<>();
    private final List<String> loadProblems;
    private boolean dirty;
    private long saves;
    private long saveFailures;
    private String lastSaveFailure;

    private ProcessOrigins(Path file, Map<Integer, Origin> loaded, List<String> loadProblems) {
        this.file = file;
        this.byPid.putAll(loaded);
        this.loadProblems = List.copyOf(loadProblems);
    }

    /** Memory only: lost when the process ends. */
    public static ProcessOrigins inMemory() {
        return new ProcessOrigins(null, Map.of(), List.of());
    }

    /**
     * Backed by {@code file}, loaded from it when it exists. A line that cannot be read is skipped and reported in
     * {@link #loadProblems()} (a damaged state file must not keep the agent from starting); an unreadable file is
     * one problem and an empty start.
     */
    public static ProcessOrigins open(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new ProcessOrigins(file, Map.of(), List.of());
        } catch (IOException e) {
            return new ProcessOrigins(file, Map.of(), List.of(file + ": cannot read: " + e.getMessage()));
        }
        Parsed p = parse(text, file.toString());
        return new ProcessOrigins(file, p.origins(), p.problems());
    }

    /** The backing file, or null. */
    public Path file() {
        return file;
    }

    public List<String> loadProblems() {
        return loadProblems;
    }

    public int size() {
        return byPid.size();
    }

    /** Records where a process came from, unless it already has an origin (its first one is where it goes back). */
    public void recordIfAbsent(int pid, Origin origin) {
        if (!byPid.containsKey(pid)) {
            byPid.put(pid, origin);
            dirty = true;
        }
    }

    public Origin get(int pid) {
        return byPid.get(pid);
    }

    /** The origin, removed from the record; null when none. */
    public Origin take(int pid) {
        Origin o = byPid.remove(pid);
        if (o != null) {
            dirty = true;
        }
        return o;
    }

    /** Forgets processes for which {@code alive} is false (exited ones), so the record does not grow forever. */
    public void retainIf(IntPredicate alive) {
        if (byPid.keySet().removeIf(pid -> !alive.test(pid))) {
            dirty = true;
        }
    }

    /** A copy of the record. */
    public Map<Integer, Origin> snapshot() {
        return Collections.unmodifiableMap(new TreeMap<>(byPid));
    }

    /**
     * Writes the record to the file when it changed since the last save (nothing when memory only). A failure is
     * counted and remembered, not thrown: the kernel change it follows has been made, and the next save retries.
     */
    public void saveIfChanged() {
        saveIfChanged(pid -> true);
    }

    /** {@link #saveIfChanged()}, first forgetting the processes for which {@code alive} is false. */
    public void saveIfChanged(IntPredicate alive) {
        if (!dirty || file == null) {
            return;
        }
        byPid.keySet().removeIf(pid -> !alive.test(pid));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, format(byPid), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            dirty = false;
            saves++;
        } catch (IOException e) {
            saveFailures++;
            lastSaveFailure = "save " + file + ": " + e;
        }
    }

    public long saves() {
        return saves;
    }

    public long saveFailures() {
        return saveFailures;
    }

    /** The last failed save, or null. */
    public String lastSaveFailure() {
        return lastSaveFailure;
    }

    /** The directory of a cgroup path ("/a/b", as /proc/PID/cgroup names it) under a hierarchy's mount. */
    public static Path under(Path mount, String cgroupPath) {
        return cgroupPath.equals("/") ? mount : mount.resolve(cgroupPath.substring(1));
    }

    /** A process's start time from {@code PROC/PID/stat}; empty when it has gone. */
    public static java.util.OptionalLong startTicks(Path procRoot, int pid) {
        try {
            return Procfs.parseStartTicks(Files.readString(procRoot.resolve(pid + "/stat")));
        } catch (IOException e) {
            return java.util.OptionalLong.empty();
        }
    }

    // ---- codec ---------------------------------------------------------------------------------------------

    /** The file's text for a record: the header, then one line per pid in pid order. */
    public static String format(Map<Integer, Origin> origins) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (Map.Entry<Integer, Origin> e : new TreeMap<>(origins).entrySet()) {
            b.append(e.getKey()).append(' ').append(e.getValue().startTicks());
            for (String c : e.getValue().cgroups()) {
                b.append(' ').append(escape(c));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * Reads a record; {@code source} names the file in problems ({@code source:line: reason}). Blank lines and
     * lines starting with '#' are skipped; a pid listed twice keeps its first line.
     */
    public static Parsed parse(String text, String source) {
        Map<Integer, Origin> out = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            String[] f = line.split(" +");
            if (f.length < 3) {
                problems.add(where + "expected 'pid start-ticks cgroup...', got '" + line + "'");
                continue;
            }
            try {
                int pid = Integer.parseInt(f[0]);
                if (pid <= 0) {
                    throw new IllegalArgumentException("pid " + pid + " is not a process id");
                }
                long start = Long.parseLong(f[1]);
                List<String> cgroups = new ArrayList<>();
                for (int k = 2; k < f.length; k++) {
                    cgroups.add(unescape(f[k]));
                }
                Origin o = new Origin(start, cgroups);
                if (out.putIfAbsent(pid, o) != null) {
                    problems.add(where + "pid " + pid + " listed again; the first line counts");
                }
            } catch (NumberFormatException e) {
                problems.add(where + "not a number in '" + line + "'");
            } catch (IllegalArgumentException e) {
                problems.add(where + e.getMessage());
            }
        }
        return new Parsed(out, problems);
    }

    /** An absolute cgroup path without "." or ".." components: it is written to as a directory under a mount. */
    static void checkPath(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("cgroup path '" + path + "' is not absolute");
        }
        for (String part : path.substring(1).split("/", -1)) {
            if (part.equals("..") || part.equals(".") || (part.isEmpty() && path.length() > 1)) {
                throw new IllegalArgumentException("cgroup path '" + path + "' has an empty, '.' or '..' component");
            }
        }
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case ' ' -> b.append("\\s");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new IllegalArgumentException("'" + s + "' ends in a lone backslash");
            }
            char n = s.charAt(++i);
            switch (n) {
                case '\\' -> b.append('\\');
                case 's' -> b.append(' ');
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                default -> throw new IllegalArgumentException("'" + s + "' has an unknown escape '\\" + n + "'");
            }
        }
        return b.toString();
    }
}
