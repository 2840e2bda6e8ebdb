package org.poolwarden.detect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** A fake /proc tree in a directory: the files ProcReader reads, in the kernel's formats. */
public final class FakeProc {
    public final Path root;

    public FakeProc(Path root) {
        this.root = root;
    }

    /** Adds or replaces a process. */
    public FakeProc add(int pid, int ppid, String comm, long startTime, int session, int uid, int gid, String[] argv,
                 Map<String, String> env) {
        try {
            Path d = root.resolve(Integer.toString(pid));
            Files.createDirectories(d);
            // Fields 1..22 of proc(5), then a few more as the kernel writes them.
            String stat = pid + " (" + comm + ") S " + ppid + " " + pid + " " + session
                    + " 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 " + startTime + " 1000000 200 18446744073709551615\n";
            Files.writeString(d.resolve("stat"), stat);
            Files.writeString(d.resolve("status"), "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\n"
                    + "Tgid:\t" + pid + "\nPPid:\t" + ppid + "\nUid:\t" + (uid + 1) + "\t" + uid + "\t" + uid + "\t"
                    + uid + "\nGid:\t" + (gid + 1) + "\t" + gid + "\t" + gid + "\t" + gid + "\n");
            StringBuilder cmd = new StringBuilder();
            for (String a : argv) cmd.append(a).append('\0');
            Files.write(d.resolve("cmdline"), cmd.toString().getBytes(StandardCharsets.UTF_8));
            StringBuilder e = new StringBuilder();
            env.forEach((k, v) -> e.append(k).append('=').append(v).append('\0'));
            Files.write(d.resolve("environ"), e.toString().getBytes(StandardCharsets.UTF_8));
            return this;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public FakeProc add(int pid, int ppid, String comm, String... argv) {
        return add(pid, ppid, comm, 1000L + pid, 1, 0, 0, argv.length == 0 ? new String[] {comm} : argv, Map.of());
    }

    public FakeProc remove(int pid) {
        try (Stream<Path> s = Files.walk(root.resolve(Integer.toString(pid)))) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            return this;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
