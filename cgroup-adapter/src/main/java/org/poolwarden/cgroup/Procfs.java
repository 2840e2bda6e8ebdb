package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/** The few /proc reads placement needs: does a process exist, its threads, its descendants. Reads are counted. */
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
}
