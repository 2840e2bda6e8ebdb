package org.poolwarden.cgroup;

import java.util.List;
import java.util.regex.Pattern;

/** Group and root names must be single, harmless path components: nothing that escapes our root or shadows a knob. */
public final class GroupNames {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,127}");
    /** A directory named like a control file would collide with one ({@code cpu.shares}) or confuse readers. */
    private static final List<String> RESERVED_PREFIXES = List.of("cgroup.", "cpu.", "cpuacct.", "cpuset.", "memory.",
            "io.", "pids.", "blkio.", "devices.", "freezer.", "net_cls.", "net_prio.", "hugetlb.", "rdma.", "misc.",
            "notify_on_release", "release_agent", "tasks");

    private GroupNames() {
    }

    /** Throws a one-line error naming the value unless {@code name} is a safe single path component. */
    public static String check(String name) {
        if (name == null || !SAFE.matcher(name).matches()) {
            throw new IllegalArgumentException("cgroup name '" + printable(name) + "' is not a safe path component"
                    + " (letters, digits, _ . @ : -, not starting with '.' or '-', at most 128 characters)");
        }
        for (String p : RESERVED_PREFIXES) {
            if (name.startsWith(p)) {
                throw new IllegalArgumentException("cgroup name '" + name + "' collides with the kernel's '" + p
                        + "' control files");
            }
        }
        return name;
    }

    /** A root may be a relative path of safe components ({@code system.slice/poolwarden.service/apps}). */
    public static String checkRoot(String root) {
        if (root == null || root.isEmpty() || root.startsWith("/") || root.endsWith("/")) {
            throw new IllegalArgumentException("cgroup root '" + printable(root)
                    + "' must be a relative path of safe components, such as 'poolwarden'");
        }
        for (String part : root.split("/", -1)) {
            check(part);
        }
        return root;
    }

    private static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
