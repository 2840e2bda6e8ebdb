package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent leaves the unit's cgroup for a leaf when that cgroup is an ancestor of its root (a temp dir as mount). */
class OwnCgroupTest {
    static final String ROOT = "poolwarden.slice/poolwarden.service/apps";

    @TempDir
    Path mount;

    @Test
    void underTheDelegatingUnitTheAgentMovesIntoTheAgentLeaf() throws IOException {
        String leaf = OwnCgroup.leaveRootAncestry(mount, ROOT, List.of("0::/poolwarden.slice/poolwarden.service"), 4711);
        assertEquals("poolwarden.slice/poolwarden.service/agent", leaf);
        assertEquals("4711", Files.readString(mount.resolve(leaf).resolve("cgroup.procs")));
    }

    @Test
    void aDeeperRootStillEmptiesTheUnitsCgroup() throws IOException {
        assertEquals("a/agent", OwnCgroup.leaveRootAncestry(mount, "a/b/c", List.of("0::/a\n"), 1));
    }

    @Test
    void nothingMovesWhenTheAgentIsNotAboveItsRoot() throws IOException {
        assertNull(OwnCgroup.leaveRootAncestry(mount, "poolwarden", List.of("0::/system.slice/ssh.service"), 1));
        assertNull(OwnCgroup.leaveRootAncestry(mount, "poolwarden", List.of("0::/"), 1), "the top is exempt");
        assertNull(OwnCgroup.leaveRootAncestry(mount, ROOT, List.of("0::/poolwarden.slice/poolwarden.service/agent"),
                1), "already in its leaf (a restart of the JVM inside it)");
        assertNull(OwnCgroup.leaveRootAncestry(mount, "ab/apps", List.of("0::/a"), 1), "a prefix is not an ancestor");
        assertNull(OwnCgroup.leaveRootAncestry(mount, ROOT, List.of("12:cpu,cpuacct:/x"), 1), "no v2 line");
        try (var s = Files.list(mount)) {
            assertFalse(s.findAny().isPresent(), "nothing was made");
        }
    }

    @Test
    void aRootInsideTheAgentsLeafIsRefusedNamingIt() {
        IOException e = assertThrows(IOException.class,
                () -> OwnCgroup.leaveRootAncestry(mount, "u/agent/apps", List.of("0::/u"), 1));
        assertTrue(e.getMessage().contains("u/agent/apps"), e.getMessage());
    }
}
