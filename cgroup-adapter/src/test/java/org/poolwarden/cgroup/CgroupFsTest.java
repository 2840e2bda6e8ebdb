package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

class CgroupFsTest {
    @TempDir
    Path tmp;

    @Test
    void errnoIsRecoveredFromTheJdksExceptions() {
        assertEquals(Errno.ENOENT, CgroupFs.errno(new NoSuchFileException("x")));
        assertEquals(Errno.EACCES, CgroupFs.errno(new AccessDeniedException("x")));
        assertEquals(Errno.EBUSY, CgroupFs.errno(new FileSystemException("x", null, "Device or resource busy")));
        assertEquals(Errno.ESRCH, CgroupFs.errno(new IOException("No such process")));
        assertEquals(Errno.EINVAL, CgroupFs.errno(new IOException("Invalid argument")));
        assertEquals(Errno.ENOSPC, CgroupFs.errno(new IOException("No space left on device")));
        assertEquals(0, CgroupFs.errno(new IOException("something new")));
        KernelException k = CgroupFs.fail("write '5' to", Path.of("/sys/fs/cgroup/cpu/x/cgroup.procs"),
                new IOException("No such process"));
        assertEquals("write '5' to /sys/fs/cgroup/cpu/x/cgroup.procs failed: ESRCH (no such process)", k.getMessage());
    }

    @Test
    void writesOutsideTheRootsAreRefusedAndCountNothing() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("cpu/poolwarden"));
        Path outside = Files.writeString(tmp.resolve("cpu/cpu.shares"), "1024");
        CpuCounters c = new CpuCounters();
        CgroupFs fs = new CgroupFs(c, List.of(root), CgroupFs.REAL_SLEEP);
        for (Path p : List.of(outside, root.resolve("../cpu.shares"), root.resolve("a/../../x"), tmp.resolve("cpu/poolwarden2/x"))) {
            KernelException e = assertThrows(KernelException.class, () -> fs.write(p, "2"));
            assertTrue(e.getMessage().contains("refused: outside poolwarden's cgroup roots"), e.getMessage());
            assertThrows(KernelException.class, () -> fs.mkdir(p));
            assertThrows(KernelException.class, () -> fs.rmdir(p));
        }
        assertEquals("1024", Files.readString(outside));
        assertEquals(0, c.mutations());
        fs.allowOutside(outside);
        fs.write(outside, "2048");
        assertEquals("2048", Files.readString(outside));
        assertEquals(1, c.writes());
    }

    @Test
    void readsIdsAndCountsEveryCall() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("r"));
        Files.writeString(root.resolve("cgroup.procs"), "12\n345\n6789\n");
        CpuCounters c = new CpuCounters();
        CgroupFs fs = new CgroupFs(c, List.of(root), CgroupFs.REAL_SLEEP);
        assertEquals(Set.of(12, 345, 6789), fs.readIds(root.resolve("cgroup.procs")));
        assertTrue(fs.mkdir(root.resolve("g")));
        assertFalse(fs.mkdir(root.resolve("g")), "already there");
        assertEquals(List.of("g"), fs.listDirs(root));
        fs.rmdir(root.resolve("g"));
        fs.rmdir(root.resolve("g")); // gone already: fine
        assertEquals(2, c.reads());
        assertEquals(2, c.mkdirs());
        assertEquals(2, c.rmdirs());
        KernelException e = assertThrows(KernelException.class, () -> fs.read(root.resolve("nope")));
        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void aLargeFileIsReadWhole() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("r"));
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 10_000; i++) {
            sb.append(i).append('\n');
        }
        Files.writeString(root.resolve("cgroup.procs"), sb);
        assertEquals(10_000, new CgroupFs(new CpuCounters(), List.of(root), CgroupFs.REAL_SLEEP)
                .readIds(root.resolve("cgroup.procs")).size());
    }

    @Test
    void rmdirOfANonEmptyDirectoryIsNotRetriedAsBusy() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("r"));
        Files.createDirectories(root.resolve("g/sub"));
        List<Long> slept = new ArrayList<>();
        CpuCounters c = new CpuCounters();
        CgroupFs fs = new CgroupFs(c, List.of(root), slept::add);
        KernelException e = assertThrows(KernelException.class, () -> fs.rmdir(root.resolve("g")));
        assertEquals(Errno.ENOTEMPTY, e.errno());
        assertTrue(slept.isEmpty());
        assertEquals(0, c.busyRetries());
    }
}
