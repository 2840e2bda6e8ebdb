package org.poolwarden.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How this host mounts cgroups, read from {@code /proc/self/mountinfo}: pure v2 (one unified hierarchy), hybrid
 * (v1 controller hierarchies plus a cgroup2 mount, usually {@code /sys/fs/cgroup/unified}, that holds no
 * controllers they took), or legacy v1. It decides which {@code CpuController} a host gets.
 *
 * @param mode             the layout
 * @param unifiedMount     where cgroup2 is mounted, or {@code null}
 * @param unifiedControllers the controllers usable in the cgroup2 hierarchy ({@code cgroup.controllers} at its root)
 * @param v1Mounts         each v1 controller (or {@code name=...} hierarchy) and its mount point
 */
public record CgroupLayout(Mode mode, Path unifiedMount, Set<String> unifiedControllers, Map<String, Path> v1Mounts) {

    public enum Mode {
        /** Only cgroup2: cpu.weight, cpu.max, cpu.stat. */
        V2,
        /** v1 controller hierarchies beside a cgroup2 mount (systemd's "hybrid"). */
        HYBRID,
        /** Only v1 hierarchies. */
        V1,
        /** No cgroup file system mounted at all. */
        NONE
    }

    public static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    public CgroupLayout {
        unifiedControllers = Collections.unmodifiableSet(new TreeSet<>(unifiedControllers));
        v1Mounts = Collections.unmodifiableMap(new LinkedHashMap<>(v1Mounts));
    }

    /** Reads this host's layout. */
    public static CgroupLayout detect() {
        try {
            return parse(Files.readAllLines(MOUNTINFO), Path.of("/"));
        } catch (IOException e) {
            return new CgroupLayout(Mode.NONE, null, Set.of(), Map.of());
        }
    }

    /**
     * Parses mountinfo lines; {@code root} is prepended to mount points when reading {@code cgroup.controllers}, so
     * tests can lay out a fake /sys/fs/cgroup under a temporary directory.
     */
    public static CgroupLayout parse(List<String> mountinfo, Path root) {
        Path unified = null;
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (String line : mountinfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) {
                continue;
            }
            Path mountPoint = Path.of(unescape(pre[4]));
            String fsType = post[0];
            if (fsType.equals("cgroup2")) {
                if (unified == null) {
                    unified = mountPoint;
                }
            } else if (fsType.equals("cgroup")) {
                for (String opt : post[2].split(",")) {
                    if (isController(opt) || opt.startsWith("name=")) {
                        v1.putIfAbsent(opt, mountPoint);
                    }
                }
            }
        }
        Set<String> controllers = new TreeSet<>();
        if (unified != null) {
            Path file = root.resolve(unified.toString().substring(1)).resolve("cgroup.controllers");
            try {
                String text = Files.readString(file).strip();
                if (!text.isEmpty()) {
                    controllers.addAll(Arrays.asList(text.split("\\s+")));
                }
            } catch (IOException ignored) {
                // an unreadable root lists no controllers; doctor says so
            }
        }
        boolean anyV1Controller = v1.keySet().stream().anyMatch(k -> !k.startsWith("name="));
        Mode mode;
        if (unified != null && !anyV1Controller) {
            mode = Mode.V2;
        } else if (unified != null) {
            mode = Mode.HYBRID;
        } else if (!v1.isEmpty()) {
            mode = Mode.V1;
        } else {
            mode = Mode.NONE;
        }
        return new CgroupLayout(mode, unified, controllers, v1);
    }

    /** The v1 mount of a controller ({@code "cpu"}, {@code "cpuacct"}), or {@code null}. */
    public Path v1(String controller) {
        return v1Mounts.get(controller);
    }

    /** Whether cpu and cpuacct are separate v1 hierarchies (two mounts), as on this project's CI machines. */
    public boolean cpuAndCpuacctSeparate() {
        Path cpu = v1("cpu");
        Path acct = v1("cpuacct");
        return cpu != null && acct != null && !cpu.equals(acct);
    }

    /**
     * Which CPU enforcement this host supports, as the name of the controller implementation, or {@code null} with
     * {@link #cpuUnusableReason()} saying why.
     */
    public String cpuControllerName() {
        return cpuUnusableReason() == null ? (mode == Mode.V2 ? "CgroupV2CpuController" : "HybridV1CpuController") : null;
    }

    /** Why CPU enforcement is impossible here, or {@code null} when it is possible. */
    public String cpuUnusableReason() {
        switch (mode) {
            case V2:
                return unifiedControllers.contains("cpu") ? null
                        : "the cpu controller is not available in the cgroup2 hierarchy at " + unifiedMount
                                + " (cgroup.controllers lists " + (unifiedControllers.isEmpty() ? "nothing" : String.join(" ", unifiedControllers)) + ")";
            case HYBRID:
            case V1:
                if (v1("cpu") == null) {
                    return "no cgroup v1 cpu hierarchy is mounted and cgroup2 has no cpu controller";
                }
                if (v1("cpuacct") == null) {
                    return "no cgroup v1 cpuacct hierarchy is mounted (needed to account CPU time)";
                }
                return null;
            default:
                return "no cgroup file system is mounted";
        }
    }

    /** All controllers usable anywhere, for reports. */
    public List<String> cpuControllers() {
        List<String> out = new ArrayList<>();
        if (unifiedControllers.contains("cpu")) {
            out.add("cpu (v2)");
        }
        for (String c : List.of("cpu", "cpuacct", "cpuset")) {
            if (v1(c) != null) {
                out.add(c + " (v1 at " + v1(c) + ")");
            }
        }
        if (unifiedControllers.contains("cpuset")) {
            out.add("cpuset (v2)");
        }
        return out;
    }

    private static boolean isController(String opt) {
        return switch (opt) {
            case "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "net_cls", "net_prio",
                    "perf_event", "hugetlb", "rdma", "misc" -> true;
            default -> false;
        };
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
