package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The few /proc reads placement needs: does a process exist, its threads, its descendants, its start time and
 * cgroups (where it goes back to on release). Reads are counted.
 */
final class Procfs {
    private final Path proc;
    private final CpuCounters counters;

    Procfs(Path proc, CpuCounters counters) {
        this.proc = proc;
        this.counters = counters;
    }

    boolean exists(int pid) {
        counters.reads.incrementAndGet();
        return Files.isDirectory(proc.resolve(Integer.toString(pid)));
    }

    /** The thread ids of a process; empty when it has gone. */
    Set<Integer> threads(int pid) {
        counters.reads.incrementAndGet();
        Set<Integer> out = new LinkedHashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(proc.resolve(pid + "/task"))) {
            for (Path p : ds) {
                out.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            // gone while we looked: no threads to move
        }
        return out;
    }

    /**
     * Children, grandchildren, ... from {@code /proc/PID/task/TID/children} (every thread can be a parent). A process
     * that exits while we walk simply drops out.
     */
    Set<Integer> descendants(int pid) {
        Set<Integer> out = new LinkedHashSet<>();
        Deque<Integer> todo = new ArrayDeque<>();
        todo.add(pid);
        while (!todo.isEmpty()) {
            int p = todo.poll();
            for (int tid : threads(p)) {
                counters.reads.incrementAndGet();
                String text;
                try {
                    text = Files.readString(proc.resolve(p + "/task/" + tid + "/children"));
                } catch (IOException e) {
                    continue;
                }
                for (String c : text.strip().split("\\s+")) {
                    if (!c.isEmpty()) {
                        int child = Integer.parseInt(c);
                        if (child != pid && out.add(child)) {
                            todo.add(child);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * The process's start time in clock ticks since boot (field 22 of {@code /proc/PID/stat}); empty when it has
     * gone. Together with the pid it names one process: a pid reused later has another start time.
     */
    OptionalLong startTicks(int pid) {
        counters.reads.incrementAndGet();
        String stat;
        try {
            stat = Files.readString(proc.resolve(pid + "/stat"));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return parseStartTicks(stat);
    }

    /** Field 22 of a stat line; the command (field 2) is in parentheses and may hold spaces and ')'. */
    static OptionalLong parseStartTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        String[] f = stat.substring(close + 1).strip().split(" ");
        // after the command: field 3 (state) is f[0], so field 22 is f[19]
        if (f.length < 20) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The lines of {@code /proc/PID/cgroup} ("id:controllers:path"); null when the process has gone. */
    List<String> cgroupLines(int pid) {
        counters.reads.incrementAndGet();
        try {
            return Files.readAllLines(proc.resolve(pid + "/cgroup"));
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The path of the hierarchy that has {@code controller} ("" for the v2 line "0::path"), from cgroup lines; null
     * when no line matches.
     */
    static String pathFor(List<String> lines, String controller) {
        for (String line : lines) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b < 0) {
                continue;
            }
            String ctrls = line.substring(a + 1, b);
            boolean match = controller.isEmpty() ? ctrls.isEmpty() && line.startsWith("0:")
                    : List.of(ctrls.split(",")).contains(controller);
            if (match) {
                return line.substring(b + 1);
            }
        }
        return null;
    }
}
