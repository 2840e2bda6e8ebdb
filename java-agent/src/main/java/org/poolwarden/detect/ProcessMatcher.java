package org.poolwarden.detect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.poolwarden.config.App;
import org.poolwarden.config.ProcessRule;

/**
 * The process rules of a config, compiled once (globs to regexes) in app order. A process belongs to the FIRST app,
 * in config order, that has a rule matching it; within a rule every attribute given must match.
 */
public final class ProcessMatcher {
    /** What the matcher may ask about a process; implementations read lazily, so unused attributes cost nothing. */
    public interface Facts {
        ProcStat stat();

        /** Null when unknown (process gone); such a rule does not match. */
        String cmdline();

        Map<String, String> environ();

        int[] uidGid();

        /** The parent's name (comm) or null when the parent is unknown. */
        String parentComm();
    }

    private record Compiled(ProcessRule rule, Pattern name, Pattern cmdline, String cmdlinePrefix, Pattern envValue,
                            Pattern parentName) {}

    private final List<String> apps = new ArrayList<>();
    /**
     * Apps that have a rule with this literal process name (no glob), and apps that have any rule without one. A
     * process is only tested against the union, in app order: with hundreds of apps, most rules name a process, and
     * this turns a scan over every app into a hash lookup.
     */
    private final Map<String, int[]> byLiteralName = new java.util.HashMap<>();
    /**
     * Apps with a rule that has no literal name but a command-line glob with a literal start, by that start's length
     * and text: a process is a candidate when its command line starts with one. Hundreds of apps told apart by their
     * command lines (the same program, different arguments) then cost a few hash lookups per process instead of a
     * test of every app's rules.
     */
    private final int[] prefixLengths;
    private final Map<Integer, Map<String, int[]>> byCmdlinePrefix = new java.util.HashMap<>();
    private final int[] withoutLiteralName;
    private final List<List<Compiled>> rules = new ArrayList<>();
    private final IdNames ids;
    private final boolean needsCmdline, needsEnv, needsIds;

    public ProcessMatcher(List<App> appList, IdNames ids) {
        this.ids = ids;
        boolean c = false, e = false, i = false;
        Map<String, java.util.TreeSet<Integer>> byName = new java.util.HashMap<>();
        java.util.TreeSet<Integer> unnamed = new java.util.TreeSet<>();
        Map<Integer, Map<String, java.util.TreeSet<Integer>>> byPrefix = new java.util.TreeMap<>();
        for (App a : appList) {
            int index = apps.size();
            apps.add(a.name());
            List<Compiled> l = new ArrayList<>();
            for (ProcessRule r : a.processRules()) {
                l.add(new Compiled(r, r.name() == null ? null : Glob.compile(r.name()),
                        r.cmdline() == null ? null : Glob.compile(r.cmdline()),
                        r.cmdline() == null ? "" : Glob.literalPrefix(r.cmdline()),
                        r.env() == null || r.env().valueGlob() == null ? null : Glob.compile(r.env().valueGlob()),
                        r.parentName() == null ? null : Glob.compile(r.parentName())));
                String prefix = r.cmdline() == null ? "" : Glob.literalPrefix(r.cmdline());
                if (r.name() != null && !hasGlob(r.name())) {
                    byName.computeIfAbsent(r.name(), k -> new java.util.TreeSet<>()).add(index);
                } else if (!prefix.isEmpty()) {
                    byPrefix.computeIfAbsent(prefix.length(), k -> new java.util.HashMap<>())
                            .computeIfAbsent(prefix, k -> new java.util.TreeSet<>()).add(index);
                } else {
                    unnamed.add(index);
                }
                c |= r.cmdline() != null || r.cmdlineRegex() != null;
                e |= r.env() != null;
                i |= r.uid() != null || r.gid() != null || r.user() != null || r.group() != null;
            }
            rules.add(l);
        }
        withoutLiteralName = unnamed.stream().mapToInt(Integer::intValue).toArray();
        byName.forEach((k, v) -> byLiteralName.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        prefixLengths = byPrefix.keySet().stream().mapToInt(Integer::intValue).toArray();
        byPrefix.forEach((len, m) -> {
            Map<String, int[]> x = new java.util.HashMap<>();
            m.forEach((k, v) -> x.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
            byCmdlinePrefix.put(len, x);
        });
        needsCmdline = c;
        needsEnv = e;
        needsIds = i;
    }

    public List<String> apps() {
        return List.copyOf(apps);
    }

    public boolean needsCmdline() {
        return needsCmdline;
    }

    /** The result of matching one process: the first app's index (-1: none) and whether its children follow. */
    public record Match(int app, boolean includeChildren) {
        public static final Match NONE = new Match(-1, false);
    }

    public Match match(Facts f) {
        int[] named = byLiteralName.getOrDefault(f.stat().comm(), NO_APPS);
        int[][] lists;
        if (prefixLengths.length == 0) {
            lists = new int[][] {named, withoutLiteralName};
        } else {
            // The command line is needed anyway: some rule tests it against every process without a literal name.
            String cmd = f.cmdline();
            lists = new int[2 + prefixLengths.length][];
            lists[0] = named;
            lists[1] = withoutLiteralName;
            for (int k = 0; k < prefixLengths.length; k++) {
                int len = prefixLengths[k];
                lists[2 + k] = cmd == null || cmd.length() < len ? NO_APPS
                        : byCmdlinePrefix.get(len).getOrDefault(cmd.substring(0, len), NO_APPS);
            }
        }
        int[] at = new int[lists.length];
        while (true) {
            // Merge the ascending lists: candidates in app order, each once.
            int a = Integer.MAX_VALUE;
            for (int k = 0; k < lists.length; k++) if (at[k] < lists[k].length) a = Math.min(a, lists[k][at[k]]);
            if (a == Integer.MAX_VALUE) return Match.NONE;
            for (int k = 0; k < lists.length; k++) if (at[k] < lists[k].length && lists[k][at[k]] == a) at[k]++;
            boolean matched = false, children = false;
            for (Compiled c : rules.get(a)) {
                if (matches(c, f)) {
                    matched = true;
                    children |= c.rule().includeChildren();
                }
            }
            if (matched) return new Match(a, children);
        }
    }

    private static final int[] NO_APPS = new int[0];

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('\\') >= 0;
    }

    private boolean matches(Compiled c, Facts f) {
        ProcessRule r = c.rule();
        ProcStat s = f.stat();
        if (r.pid() != null && r.pid() != s.pid()) return false;
        if (r.sessionId() != null && r.sessionId() != s.sessionId()) return false;
        if (r.parentPid() != null && r.parentPid() != s.ppid()) return false;
        if (c.name() != null && !c.name().matcher(s.comm()).matches()) return false;
        if (c.parentName() != null) {
            String pc = f.parentComm();
            if (pc == null || !c.parentName().matcher(pc).matches()) return false;
        }
        if (r.uid() != null || r.gid() != null || r.user() != null || r.group() != null) {
            int[] ug = f.uidGid();
            if (ug == null) return false;
            if (r.uid() != null && r.uid() != ug[0]) return false;
            if (r.gid() != null && r.gid() != ug[1]) return false;
            if (r.user() != null) {
                Integer uid = ids.uid(r.user());
                if (uid == null || uid != ug[0]) return false;
            }
            if (r.group() != null) {
                Integer gid = ids.gid(r.group());
                if (gid == null || gid != ug[1]) return false;
            }
        }
        if (c.cmdline() != null || r.cmdlineRegex() != null) {
            String cmd = f.cmdline();
            if (cmd == null) return false;
            if (c.cmdline() != null && (!cmd.startsWith(c.cmdlinePrefix()) || !c.cmdline().matcher(cmd).matches())) {
                return false;
            }
            if (r.cmdlineRegex() != null && !r.cmdlineRegex().matcher(cmd).find()) return false;
        }
        if (r.env() != null) {
            Map<String, String> env = f.environ();
            if (env == null) return false;
            String v = env.get(r.env().name());
            if (v == null) return false;
            if (c.envValue() != null && !c.envValue().matcher(v).matches()) return false;
        }
        return true;
    }
}
