package org.poolwarden.enforce;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** {@link Cgroup2Groups} in memory: which group every process is in, and whether the root exists. */
public final class FakeCgroup2Groups implements Cgroup2Groups {
    private final Map<String, Set<Integer>> groups = new TreeMap<>();
    private final Set<Integer> alive = new TreeSet<>();
    private final Map<Integer, String> home = new HashMap<>();
    private boolean root;
    private long writes;

    /** A process exists (outside our groups, in {@code home}). */
    public FakeCgroup2Groups spawn(int pid, String homeGroup) {
        alive.add(pid);
        home.put(pid, homeGroup);
        return this;
    }

    public void exit(int pid) {
        alive.remove(pid);
        groups.values().forEach(s -> s.remove(pid));
    }

    /** Where a process is: one of our groups, else its home cgroup. */
    public String groupOf(int pid) {
        for (Map.Entry<String, Set<Integer>> e : groups.entrySet()) if (e.getValue().contains(pid)) return e.getKey();
        return home.get(pid);
    }

    public boolean rootExists() {
        return root;
    }

    /** Every mkdir, rmdir and procs write. */
    public long writes() {
        return writes;
    }

    @Override
    public void reconcile(Set<String> wanted) {
        if (!root) {
            root = true;
            writes++;
        }
        for (String g : wanted) {
            if (!groups.containsKey(g)) {
                groups.put(g, new TreeSet<>());
                writes++;
            }
        }
        for (String g : new TreeSet<>(groups.keySet())) {
            if (!wanted.contains(g)) {
                groups.remove(g); // its processes go home
                writes++;
            }
        }
    }

    @Override
    public int place(String group, Set<Integer> pids) {
        Set<Integer> g = groups.get(group);
        if (g == null) throw new IllegalArgumentException("cgroup2 group '" + group + "' does not exist");
        int moved = 0;
        for (int pid : pids) {
            if (!alive.contains(pid) || g.contains(pid)) continue;
            groups.values().forEach(s -> s.remove(pid));
            g.add(pid);
            writes++;
            moved++;
        }
        return moved;
    }

    @Override
    public Map<String, Set<Integer>> list() {
        Map<String, Set<Integer>> out = new TreeMap<>();
        groups.forEach((k, v) -> out.put(k, Set.copyOf(v)));
        return out;
    }

    @Override
    public void removeAll() {
        writes += groups.size() + (root ? 1 : 0);
        groups.clear();
        root = false;
    }
}
