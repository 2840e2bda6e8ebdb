package org.poolwarden.nft;

/**
 * A validated application. Its connections carry {@link #mark()} as conntrack mark (the class handle, so marks
 * stay stable across restarts without any allocation state) and its packets get {@link #classId()} as
 * {@code meta priority}.
 *
 * @param cgroup cgroup v2 path relative to the cgroup2 mount, or {@code null}
 */
public record App(String name, ClassId classId, String cgroup) {
    /** The named counter and the chain of this app. */
    public String objectName() {
        return "app_" + name;
    }

    public int mark() {
        return classId.handle();
    }

    /** The cgroup2 hierarchy level nftables must compare at: the number of path components. */
    public int cgroupLevel() {
        return cgroup == null ? 0 : cgroup.split("/").length;
    }
}
