package org.poolwarden.pool.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.poolwarden.pool.cpu.CpuPolicy;
import org.poolwarden.pool.pipe.PipeBooking;

/**
 * Reads the allocators' inputs out of a {@link PolicySet}. Keys and bodies:
 * <ul>
 *   <li>{@code cpu/APP} with body {@code percent=P;priority=N}: a {@link CpuPolicy}</li>
 *   <li>{@code pipe/PIPE/APP} with body {@code percent=P;priority=N}: a {@link PipeBooking} on PIPE</li>
 * </ul>
 * Copies arrive from peers, so a body that does not parse is skipped and reported (one line naming the key and
 * origin), never half-applied. Other key prefixes belong to other features and are left alone.
 *
 * @param cpu      CPU policies, by app id
 * @param pipes    bookings per pipe id, by app id
 * @param problems one line per unusable copy
 */
public record PolicyCatalog(List<CpuPolicy> cpu, Map<String, List<PipeBooking>> pipes, List<String> problems) {

    public PolicyCatalog {
        cpu = List.copyOf(cpu);
        Map<String, List<PipeBooking>> m = new TreeMap<>();
        pipes.forEach((k, v) -> m.put(k, List.copyOf(v)));
        pipes = java.util.Collections.unmodifiableMap(m);
        problems = List.copyOf(problems);
    }

    public static String body(double percent, int priority) {
        return "percent=" + percent + ";priority=" + priority;
    }

    public static PolicyCatalog of(PolicySet set) {
        List<CpuPolicy> cpu = new ArrayList<>();
        Map<String, List<PipeBooking>> pipes = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (VersionedPolicy p : set.entries()) { // sorted by key: results are in key order
            if (p.deleted()) {
                continue;
            }
            String[] parts = p.key().split("/", -1);
            try {
                if (parts[0].equals("cpu")) {
                    if (parts.length != 2) {
                        throw new IllegalArgumentException("expected cpu/APP");
                    }
                    Map<String, String> f = fields(p.body());
                    cpu.add(new CpuPolicy(parts[1], number(f, "percent"), integer(f, "priority")));
                } else if (parts[0].equals("pipe")) {
                    if (parts.length != 3 || parts[1].isBlank()) {
                        throw new IllegalArgumentException("expected pipe/PIPE/APP");
                    }
                    Map<String, String> f = fields(p.body());
                    PipeBooking b = new PipeBooking(parts[2], number(f, "percent"), integer(f, "priority"));
                    pipes.computeIfAbsent(parts[1], k -> new ArrayList<>()).add(b);
                }
            } catch (IllegalArgumentException e) {
                problems.add("policy " + p.key() + " v" + p.version() + " from " + p.originId() + ": "
                        + e.getMessage());
            }
        }
        return new PolicyCatalog(cpu, pipes, problems);
    }

    private static Map<String, String> fields(String body) {
        Map<String, String> f = new HashMap<>();
        for (String kv : body.split(";")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("body field '" + kv + "' is not name=value");
            }
            if (f.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim()) != null) {
                throw new IllegalArgumentException("body field " + kv.substring(0, eq).trim() + " given twice");
            }
        }
        return f;
    }

    private static double number(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) {
            throw new IllegalArgumentException("body field " + name + " missing");
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("body field " + name + "=" + v + " is not a number");
        }
    }

    private static int integer(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) {
            throw new IllegalArgumentException("body field " + name + " missing");
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("body field " + name + "=" + v + " is not an integer");
        }
    }
}
