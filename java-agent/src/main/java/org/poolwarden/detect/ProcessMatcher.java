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

    private record Compiled(ProcessRule rule, Pattern name, Pattern cmdline, Pattern envValue, Pattern parentName) {}

    private final List<String> apps = new ArrayList<>();
    private final List<List<Compiled>> rules = new ArrayList<>();
    private final IdNames ids;
    private final boolean needsCmdline, needsEnv, needsIds;

    public ProcessMatcher(List<App> appList, IdNames ids) {
        this.ids = ids;
        boolean c = false, e = false, i = false;
        for (App a : appList) {
            apps.add(a.name());
            List<Compiled> l = new ArrayList<>();
            for (ProcessRule r : a.processRules()) {
                l.add(new Compiled(r, r.name() == null ? null : Glob.compile(r.name()),
                        r.cmdline() == null ? null : Glob.compile(r.cmdline()),
                        r.env() == null || r.env().valueGlob() == null ? null : Glob.compile(r.env().valueGlob()),
                        r.parentName() == null ? null : Glob.compile(r.parentName())));
                c |= r.cmdline() != null || r.cmdlineRegex() != null;
                e |= r.env() != null;
                i |= r.uid() != null || r.gid() != null || r.user() != null || r.group() != null;
            }
            rules.add(l);
        }
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
        for (int a = 0; a < rules.size(); a++) {
            boolean matched = false, children = false;
            for (Compiled c : rules.get(a)) {
                if (matches(c, f)) {
                    matched = true;
                    children |= c.rule().includeChildren();
                }
            }
            if (matched) return new Match(a, children);
        }
        return Match.NONE;
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
            if (c.cmdline() != null && !c.cmdline().matcher(cmd).matches()) return false;
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
