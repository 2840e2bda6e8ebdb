package org.poolwarden.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Gets the agent's own process out of the way of its cgroup root on cgroup v2. Under the packaged unit
 * (Delegate=yes) the agent starts in {@code poolwarden.slice/poolwarden.service}, an ancestor of its root
 * {@code poolwarden.slice/poolwarden.service/apps}; v2's "no internal processes" rule then refuses to enable the cpu
 * controller below it (EBUSY). systemd 254's {@code DelegateSubgroup=} would move the process; Debian 12 has 252, so
 * the agent moves itself into the leaf {@value #LEAF} of the cgroup it started in. Nothing happens when the agent is
 * not in an ancestor of its root (a host without delegation, a test's own root).
 */
final class OwnCgroup {
    static final String LEAF = "agent";

    private OwnCgroup() {
    }

    /**
     * @param mount      the unified hierarchy's mount ({@code /sys/fs/cgroup} on a pure v2 host)
     * @param root       the agent's cgroup root, relative to the mount
     * @param procCgroup the lines of {@code /proc/self/cgroup}
     * @return the leaf the process was moved to, relative to the mount, or null when nothing had to move
     * @throws IOException when the leaf cannot be made or the process cannot be moved
     */
    static String leaveRootAncestry(Path mount, String root, List<String> procCgroup, long pid) throws IOException {
        String own = null;
        for (String line : procCgroup) {
            if (line.startsWith("0::")) own = line.substring(3).strip();
        }
        if (own == null) return null;
        String ownRel = own.replaceAll("^/+", "").replaceAll("/+$", "");
        // The top of the hierarchy is exempt from the rule (it holds every process nobody placed): nothing to do.
        if (ownRel.isEmpty() || !root.startsWith(ownRel + "/")) return null;
        String leaf = ownRel + "/" + LEAF;
        if (root.equals(leaf) || root.startsWith(leaf + "/")) {
            throw new IOException("cgroup root " + root + " is inside " + leaf + ", where the agent's own process goes;"
                    + " choose another cgroups.root");
        }
        Path dir = mount.resolve(leaf);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid), StandardCharsets.US_ASCII);
        return leaf;
    }
}
