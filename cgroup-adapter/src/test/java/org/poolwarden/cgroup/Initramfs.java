package org.poolwarden.cgroup;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes an uncompressed "newc" cpio archive, the format the kernel unpacks as an initramfs. Public for the other
 * modules' qemu tests (the tests module's systemd guest), through this module's test-jar.
 */
public final class Initramfs implements AutoCloseable {
    private final OutputStream out;
    private final Set<String> dirs = new HashSet<>();
    private long written;
    private int ino = 1;

    public Initramfs(Path file) throws IOException {
        out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
    }

    /** Adds a directory (and its parents). */
    public Initramfs dir(String path) throws IOException {
        String p = strip(path);
        if (p.isEmpty() || dirs.contains(p)) {
            return this;
        }
        int slash = p.lastIndexOf('/');
        if (slash > 0) {
            dir(p.substring(0, slash));
        }
        dirs.add(p);
        entry(p, 0040755, new byte[0]);
        return this;
    }

    public Initramfs file(String path, byte[] data, int perm) throws IOException {
        String p = strip(path);
        int slash = p.lastIndexOf('/');
        if (slash > 0) {
            dir(p.substring(0, slash));
        }
        entry(p, 0100000 | perm, data);
        return this;
    }

    public Initramfs file(String path, Path source) throws IOException {
        return file(path, Files.readAllBytes(source), Files.isExecutable(source) ? 0755 : 0644);
    }

    public Initramfs text(String path, String text, int perm) throws IOException {
        return file(path, text.getBytes(StandardCharsets.UTF_8), perm);
    }

    /** Copies a directory tree, following symlinks to their content. */
    public Initramfs tree(String path, Path source) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(source)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            String rel = source.relativize(p).toString();
            String dest = rel.isEmpty() ? path : path + "/" + rel;
            if (Files.isDirectory(p)) {
                dir(dest);
            } else if (Files.isRegularFile(p)) {
                file(dest, p);
            }
        }
        return this;
    }

    private static String strip(String p) {
        return p.startsWith("/") ? p.substring(1) : p;
    }

    private void entry(String name, int mode, byte[] data) throws IOException {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        String header = String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", ino++, mode, 0, 0,
                1, 0, data.length, 0, 0, 0, 0, n.length, 0);
        put(header.getBytes(StandardCharsets.US_ASCII));
        put(n);
        pad();
        put(data);
        pad();
    }

    private void put(byte[] b) throws IOException {
        out.write(b);
        written += b.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }

    @Override
    public void close() throws IOException {
        entry("TRAILER!!!", 0, new byte[0]);
        out.close();
    }
}
