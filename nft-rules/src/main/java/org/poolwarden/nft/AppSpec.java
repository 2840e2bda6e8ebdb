package org.poolwarden.nft;

/**
 * An application as configured, unvalidated: its name, its HTB class ({@code "1:10"}, hexadecimal) and, for a
 * process-defined app, its cgroup v2 path relative to the cgroup2 mount ({@code null} when it has none).
 */
public record AppSpec(String name, String classId, String cgroup) {
    public static AppSpec of(String name, String classId) {
        return new AppSpec(name, classId, null);
    }
}
