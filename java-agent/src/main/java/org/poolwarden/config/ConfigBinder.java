package org.poolwarden.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.poolwarden.config.ConfigNode.Field;
import org.poolwarden.config.ConfigNode.ListNode;
import org.poolwarden.config.ConfigNode.MapNode;
import org.poolwarden.config.ConfigNode.Scalar;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;
import org.poolwarden.cgroup.GroupNames;
import org.poolwarden.config.PoolwardenConfig.Cgroups;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.config.PoolwardenConfig.Timers;

/**
 * Binds a located tree to the config records and validates it: the one place where config rules live. It never stops
 * at the first problem; every error is collected with its location and field path, and a config is produced only
 * when there are none.
 */
final class ConfigBinder {
    // The keys each object accepts; the JSON Schema is checked against these (ConfigSchemaTest).
    static final Set<String> ROOT_KEYS = keys("$schema", "mode", "timers", "pipes", "apps", "exchange", "pool",
            "cgroups");
    static final Set<String> CGROUPS_KEYS = keys("root");
    static final Set<String> TIMERS_KEYS = keys("fastTickMillis", "slowTickMillis");
    static final Set<String> PIPE_KEYS = keys("name", "interface", "capacity");
    static final Set<String> APP_KEYS = keys("name", "includeChildren", "processRules", "flowRules", "policy");
    static final Set<String> PROCESS_RULE_KEYS = keys("name", "pid", "uid", "user", "gid", "group", "sessionId",
            "cmdline", "cmdlineRegex", "env", "parentName", "parentPid", "includeChildren");
    static final Set<String> FLOW_RULE_KEYS = keys("protocol", "localAddress", "remoteAddress", "localPort",
            "remotePort");
    static final Set<String> POLICY_KEYS = keys("priority", "cpu", "bandwidth");
    static final Set<String> CPU_KEYS = keys("weight", "percent", "cap");
    static final Set<String> BANDWIDTH_KEYS = keys("pipe", "booking", "burst");

    /** App and pipe names end up in cgroup directory names, tc class comments and nft identifiers. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    /** Linux IFNAMSIZ is 16 including the NUL. */
    static final Pattern IFACE = Pattern.compile("[^\\s/:]{1,15}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** The kernel keeps 15 characters of a process name (TASK_COMM_LEN 16). */
    static final int COMM_MAX = 15;
    /** Below 1 ms the loop would spin; above 1 s pipe shares react too slowly to be worth "fast". */
    static final long MIN_FAST_TICK_MILLIS = 1, MAX_FAST_TICK_MILLIS = 1000;
    /** Scanning /proc more often than every 100 ms costs more than it finds; after a minute new processes run
     *  unmanaged too long. */
    static final long MIN_SLOW_TICK_MILLIS = 100, MAX_SLOW_TICK_MILLIS = 60_000;
    /** An absolute cgroup path: /sys/fs/cgroup[/unified|/cpu|/cpuacct|...]/REST, REST the relative root meant. */
    static final Pattern ABSOLUTE_CGROUP = Pattern.compile(
            "/sys/fs/cgroup(?:/(?:unified|cpu|cpuacct|cpu,cpuacct|systemd))?/(.*?)/*");
    static final long MAX_ID = 4_294_967_294L; // uid/gid (uid_t) minus the invalid (uid_t)-1

    private final List<ConfigError> errors;
    /** XML gives every value as text; then numbers and booleans are accepted in their text form. */
    private boolean textScalars;
    /** App names seen so far, across all files bound by this binder (main config plus imported XML rules). */
    private final Map<String, Location> appNames = new HashMap<>();

    ConfigBinder(List<ConfigError> errors) {
        this.errors = errors;
    }

    void textScalars(boolean on) {
        this.textScalars = on;
    }

    private static Set<String> keys(String... k) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of(k)));
    }

    /**
     * @param checkPipeReferences false for an XML rules file checked on its own without pipes: the main config
     *                            that defines them is not at hand, so references are checked when both are loaded
     */
    PoolwardenConfig bindRoot(ConfigNode root, boolean checkPipeReferences) {
        MapNode m = object(root, "", ROOT_KEYS);
        if (m == null) return null;
        Mode mode = enumValue(m, "mode", "", Mode.class, PoolwardenConfig.DEFAULT_MODE);
        Timers timers = timers(m.fields().get("timers"));
        List<Pipe> pipes = new ArrayList<>();
        Map<String, Location> pipeNames = new HashMap<>();
        Map<String, Location> ifaces = new HashMap<>();
        ListNode pl = list(m, "pipes", "");
        if (pl != null) {
            for (int i = 0; i < pl.items().size(); i++) {
                Pipe p = pipe(pl.items().get(i), "pipes[" + i + "]", pipeNames, ifaces);
                if (p != null) pipes.add(p);
            }
        }
        Map<String, Pipe> pipesByName = new HashMap<>();
        for (Pipe p : pipes) pipesByName.put(p.name(), p);
        List<App> apps = new ArrayList<>();
        bindApps(list(m, "apps", ""), "apps", 0, pipesByName, checkPipeReferences ? pipeNames.keySet() : null, apps);
        Map<String, Object> exchange = opaque(m, "exchange");
        Map<String, Object> pool = opaque(m, "pool");
        Field schema = m.fields().get("$schema");
        if (schema != null) string(schema.value(), "$schema");
        Cgroups cgroups = cgroups(m.fields().get("cgroups"));
        return new PoolwardenConfig(mode, timers, pipes, apps, exchange, pool, cgroups);
    }

    private Cgroups cgroups(Field f) {
        if (f == null) return Cgroups.DEFAULT;
        MapNode m = object(f.value(), "cgroups", CGROUPS_KEYS);
        if (m == null) return Cgroups.DEFAULT;
        String root = optionalString(m, "root", "cgroups");
        if (root == null) return Cgroups.DEFAULT;
        try {
            GroupNames.checkRoot(root);
        } catch (IllegalArgumentException e) {
            // The usual slip is the absolute path from /sys/fs/cgroup: the root is relative to every mount.
            String hint = "";
            java.util.regex.Matcher abs = ABSOLUTE_CGROUP.matcher(root);
            if (abs.matches() && !abs.group(1).isEmpty()) hint = " (did you mean \"" + abs.group(1) + "\"?)";
            error(valueLoc(m, "root"), "cgroups.root", e.getMessage() + hint);
            return Cgroups.DEFAULT;
        }
        return new Cgroups(root);
    }

    /**
     * Binds a list of apps; {@code appNames} carries the names seen so far, so apps from several files (the main file
     * and imported XML rules) are checked for duplicates together.
     */
    void bindApps(ListNode al, String path, int firstIndex, Map<String, Pipe> pipes, Set<String> knownPipeNames,
                  List<App> out) {
        if (al == null) return;
        for (int i = 0; i < al.items().size(); i++) {
            App a = app(al.items().get(i), path + "[" + (firstIndex + i) + "]", pipes, knownPipeNames);
            if (a != null) out.add(a);
        }
    }

    private Timers timers(Field f) {
        if (f == null) return Timers.DEFAULT;
        MapNode m = object(f.value(), "timers", TIMERS_KEYS);
        if (m == null) return Timers.DEFAULT;
        Long fast = integer(m, "fastTickMillis", "timers", MIN_FAST_TICK_MILLIS, MAX_FAST_TICK_MILLIS);
        Long slow = integer(m, "slowTickMillis", "timers", MIN_SLOW_TICK_MILLIS, MAX_SLOW_TICK_MILLIS);
        long fv = fast == null ? Timers.DEFAULT_FAST_TICK_MILLIS : fast;
        long sv = slow == null ? Timers.DEFAULT_SLOW_TICK_MILLIS : slow;
        if (sv < fv) {
            error(m.fields().containsKey("slowTickMillis") ? m.fields().get("slowTickMillis").value().location()
                    : m.location(), "timers.slowTickMillis", "must not be shorter than fastTickMillis (" + fv + ")");
        }
        return new Timers(fv, sv);
    }

    private Pipe pipe(ConfigNode n, String path, Map<String, Location> names, Map<String, Location> ifaces) {
        MapNode m = object(n, path, PIPE_KEYS);
        if (m == null) return null;
        String name = name(m, path, "pipe", names);
        String iface = requiredString(m, "interface", path);
        if (iface != null && !IFACE.matcher(iface).matches()) {
            error(valueLoc(m, "interface"), path + ".interface", "\"" + iface
                    + "\" is not an interface name (1-15 characters, no spaces, '/' or ':')");
            iface = null;
        } else if (iface != null) {
            Location first = ifaces.putIfAbsent(iface, valueLoc(m, "interface"));
            if (first != null) error(valueLoc(m, "interface"), path + ".interface", "interface \"" + iface
                    + "\" already carries another pipe (line " + first.line() + "); one pipe per interface");
        }
        Long capacity = null;
        Field cf = m.fields().get("capacity");
        if (cf == null) {
            missing(m, path, "capacity");
        } else {
            Amount a = amount(cf.value(), path + ".capacity", false);
            if (a instanceof Amount.BitsPerSecond b) capacity = b.value();
        }
        if (name == null || iface == null || capacity == null) return null;
        return new Pipe(name, iface, capacity);
    }

    private App app(ConfigNode n, String path, Map<String, Pipe> pipes, Set<String> knownPipeNames) {
        MapNode m = object(n, path, APP_KEYS);
        if (m == null) return null;
        String name = name(m, path, "app", appNames);
        Boolean inc = bool(m, "includeChildren", path);
        boolean includeChildren = inc == null ? App.DEFAULT_INCLUDE_CHILDREN : inc;
        List<ProcessRule> prs = new ArrayList<>();
        ListNode pl = list(m, "processRules", path);
        boolean ok = true;
        if (pl != null) {
            for (int i = 0; i < pl.items().size(); i++) {
                ProcessRule r = processRule(pl.items().get(i), path + ".processRules[" + i + "]", includeChildren);
                if (r == null) ok = false;
                else prs.add(r);
            }
        }
        List<FlowRule> frs = new ArrayList<>();
        ListNode fl = list(m, "flowRules", path);
        if (fl != null) {
            for (int i = 0; i < fl.items().size(); i++) {
                FlowRule r = flowRule(fl.items().get(i), path + ".flowRules[" + i + "]");
                if (r == null) ok = false;
                else frs.add(r);
            }
        }
        // Only when neither key is there at all: a malformed list has been reported already.
        if ((pl == null || pl.items().isEmpty()) && (fl == null || fl.items().isEmpty())
                && (pl != null || !m.fields().containsKey("processRules"))
                && (fl != null || !m.fields().containsKey("flowRules"))) {
            error(m.location(), path, "an app needs at least one process rule or flow rule (it would match nothing)");
            ok = false;
        }
        Policy policy = null;
        Field pf = m.fields().get("policy");
        if (pf != null) {
            policy = policy(pf.value(), path + ".policy", pipes, knownPipeNames);
            if (policy == null) ok = false;
        }
        if (!ok || name == null) return null;
        return new App(name, includeChildren, prs, frs, policy);
    }

    private ProcessRule processRule(ConfigNode n, String path, boolean appIncludeChildren) {
        MapNode m = object(n, path, PROCESS_RULE_KEYS);
        if (m == null) return null;
        int before = errors.size();
        String name = optionalString(m, "name", path);
        if (name != null && name.length() > COMM_MAX && !hasGlob(name)) {
            error(valueLoc(m, "name"), path + ".name", "\"" + name + "\" is longer than " + COMM_MAX
                    + " characters, the kernel's limit for process names; match it with cmdline instead");
        }
        Long pid = integer(m, "pid", path, 1, Integer.MAX_VALUE);
        Long uid = integer(m, "uid", path, 0, MAX_ID);
        String user = optionalString(m, "user", path);
        Long gid = integer(m, "gid", path, 0, MAX_ID);
        String group = optionalString(m, "group", path);
        Long sid = integer(m, "sessionId", path, 0, Integer.MAX_VALUE);
        String cmdline = optionalString(m, "cmdline", path);
        String regexText = optionalString(m, "cmdlineRegex", path);
        Pattern regex = null;
        if (regexText != null) {
            try {
                regex = Pattern.compile(regexText);
            } catch (PatternSyntaxException e) {
                error(valueLoc(m, "cmdlineRegex"), path + ".cmdlineRegex", "invalid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex());
            }
        }
        ProcessRule.EnvMatch env = null;
        String envText = optionalString(m, "env", path);
        if (envText != null) {
            int eq = envText.indexOf('=');
            String en = eq < 0 ? envText : envText.substring(0, eq);
            if (!ENV_NAME.matcher(en).matches()) {
                error(valueLoc(m, "env"), path + ".env", "\"" + envText
                        + "\" must be NAME or NAME=value-glob with NAME of letters, digits and _");
            } else {
                env = new ProcessRule.EnvMatch(en, eq < 0 ? null : envText.substring(eq + 1));
            }
        }
        String parentName = optionalString(m, "parentName", path);
        Long ppid = integer(m, "parentPid", path, 0, Integer.MAX_VALUE);
        Boolean inc = bool(m, "includeChildren", path);
        exclusive(m, path, "uid", "user");
        exclusive(m, path, "gid", "group");
        exclusive(m, path, "cmdline", "cmdlineRegex");
        Set<String> criteria = new LinkedHashSet<>(m.fields().keySet());
        criteria.remove("includeChildren");
        if (criteria.isEmpty()) {
            error(m.location(), path, "a process rule needs at least one attribute to match (it would match every"
                    + " process)");
        }
        if (errors.size() > before) return null;
        return new ProcessRule(name, toInt(pid), toInt(uid), user, toInt(gid), group, toInt(sid), cmdline, regex,
                env, parentName, toInt(ppid), inc == null ? appIncludeChildren : inc);
    }

    private FlowRule flowRule(ConfigNode n, String path) {
        MapNode m = object(n, path, FLOW_RULE_KEYS);
        if (m == null) return null;
        int before = errors.size();
        FlowRule.Protocol proto = enumValue(m, "protocol", path, FlowRule.Protocol.class, null);
        Cidr local = cidr(m, "localAddress", path);
        Cidr remote = cidr(m, "remoteAddress", path);
        PortRange lp = port(m, "localPort", path);
        PortRange rp = port(m, "remotePort", path);
        if (proto != null && !FlowRule.hasPorts(proto)) {
            for (String k : List.of("localPort", "remotePort")) {
                if (m.fields().containsKey(k)) error(valueLoc(m, k), path + "." + k, "protocol "
                        + proto.name().toLowerCase(Locale.ROOT) + " has no ports");
            }
        }
        if (local != null && remote != null && local.isIpv4() != remote.isIpv4()) {
            error(valueLoc(m, "remoteAddress"), path + ".remoteAddress", "mixes IPv4 and IPv6 with localAddress "
                    + local);
        }
        if (m.fields().isEmpty()) error(m.location(), path, "a flow rule needs at least one attribute to match"
                + " (it would match all traffic)");
        if (errors.size() > before) return null;
        return new FlowRule(proto, local, remote, lp, rp);
    }

    private Policy policy(ConfigNode n, String path, Map<String, Pipe> pipes, Set<String> knownPipeNames) {
        MapNode m = object(n, path, POLICY_KEYS);
        if (m == null) return null;
        int before = errors.size();
        Long prio = integer(m, "priority", path, Policy.MIN_PRIORITY, Policy.MAX_PRIORITY);
        CpuPolicy cpu = null;
        Field cf = m.fields().get("cpu");
        if (cf != null) cpu = cpu(cf.value(), path + ".cpu");
        List<BandwidthPolicy> bw = new ArrayList<>();
        ListNode bl = list(m, "bandwidth", path);
        Map<String, Location> seen = new HashMap<>();
        if (bl != null) {
            for (int i = 0; i < bl.items().size(); i++) {
                BandwidthPolicy b = bandwidth(bl.items().get(i), path + ".bandwidth[" + i + "]", pipes,
                        knownPipeNames, seen);
                if (b != null) bw.add(b);
            }
        }
        if (errors.size() > before) return null;
        return new Policy(prio == null ? Policy.DEFAULT_PRIORITY : prio.intValue(), cpu, bw);
    }

    private CpuPolicy cpu(ConfigNode n, String path) {
        MapNode m = object(n, path, CPU_KEYS);
        if (m == null) return null;
        Long weight = integer(m, "weight", path, CpuPolicy.MIN_WEIGHT, CpuPolicy.MAX_WEIGHT);
        Double percent = percentNumber(m, "percent", path);
        Double cap = percentNumber(m, "cap", path);
        exclusive(m, path, "weight", "percent");
        if (percent != null && cap != null && cap < percent) {
            error(valueLoc(m, "cap"), path + ".cap", "cap " + Rates.formatPercent(cap)
                    + " is below the guaranteed percent " + Rates.formatPercent(percent));
        }
        if (m.fields().isEmpty()) error(m.location(), path, "give weight, percent or cap");
        return new CpuPolicy(weight == null ? null : weight.intValue(), percent, cap);
    }

    private BandwidthPolicy bandwidth(ConfigNode n, String path, Map<String, Pipe> pipes, Set<String> knownPipeNames,
                                      Map<String, Location> seen) {
        MapNode m = object(n, path, BANDWIDTH_KEYS);
        if (m == null) return null;
        String pipeName = requiredString(m, "pipe", path);
        Pipe pipe = null;
        if (pipeName != null) {
            pipe = pipes.get(pipeName);
            // knownPipeNames null: an XML rules file checked on its own; its pipes are checked when loaded with the
            // main config that defines them.
            if (pipe == null && knownPipeNames != null && !knownPipeNames.contains(pipeName)) {
                error(valueLoc(m, "pipe"), path + ".pipe", "unknown pipe \"" + pipeName + "\""
                        + (knownPipeNames.isEmpty() ? " (no pipes are defined)" : " (defined: "
                        + String.join(", ", new java.util.TreeSet<>(knownPipeNames)) + ")"));
            }
            Location first = seen.putIfAbsent(pipeName, valueLoc(m, "pipe"));
            if (first != null) error(valueLoc(m, "pipe"), path + ".pipe", "pipe \"" + pipeName
                    + "\" already has an entry in this policy (line " + first.line() + ")");
        }
        Amount booking = null, burst = null;
        if (m.fields().containsKey("booking")) booking = amount(m.fields().get("booking").value(),
                path + ".booking", true);
        if (m.fields().containsKey("burst")) burst = amount(m.fields().get("burst").value(), path + ".burst", true);
        if (!m.fields().containsKey("booking") && !m.fields().containsKey("burst")) {
            error(m.location(), path, "give booking, burst or both");
        }
        if (pipe != null) {
            long cap = pipe.capacityBitsPerSecond();
            Long bk = booking == null ? null : bits(booking, cap);
            Long bu = burst == null ? null : bits(burst, cap);
            if (bk != null && bk > cap) error(valueLoc(m, "booking"), path + ".booking", "booking " + booking
                    + " exceeds the capacity of pipe \"" + pipe.name() + "\" (" + Rates.format(cap) + ")");
            if (bu != null && bu > cap) error(valueLoc(m, "burst"), path + ".burst", "burst " + burst
                    + " exceeds the capacity of pipe \"" + pipe.name() + "\" (" + Rates.format(cap) + ")");
            if (bk != null && bu != null && bu < bk) error(valueLoc(m, "burst"), path + ".burst", "burst " + burst
                    + " is below the booking " + booking);
        }
        if (pipeName == null) return null;
        return new BandwidthPolicy(pipeName, booking, burst);
    }

    private static long bits(Amount a, long capacity) {
        if (a instanceof Amount.BitsPerSecond b) return b.value();
        return (long) Math.floor(((Amount.Percent) a).value() * capacity / 100.0);
    }

    // ---- typed accessors; each reports its own errors and returns null on a bad or missing value ----

    private MapNode object(ConfigNode n, String path, Set<String> allowed) {
        if (!(n instanceof MapNode m)) {
            error(n.location(), path, "expected an object, found " + n.describe());
            return null;
        }
        for (Map.Entry<String, Field> e : m.fields().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                error(e.getValue().keyLocation(), join(path, e.getKey()), "unknown field" + suggestion(e.getKey(),
                        allowed) + " (allowed: " + String.join(", ", allowed) + ")");
            }
        }
        return m;
    }

    ListNode list(MapNode m, String key, String path) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        if (f.value() instanceof ListNode l) return l;
        error(f.value().location(), join(path, key), "expected a list, found " + f.value().describe());
        return null;
    }

    private String name(MapNode m, String path, String what, Map<String, Location> seen) {
        String name = requiredString(m, "name", path);
        if (name == null) return null;
        Location at = valueLoc(m, "name");
        if (!NAME.matcher(name).matches()) {
            error(at, path + ".name", "\"" + name + "\" is not a valid " + what
                    + " name (letters, digits, '_', '.', '-'; starts with a letter or digit; at most 63)");
            return null;
        }
        Location first = seen.putIfAbsent(name, at);
        if (first != null) {
            error(at, path + ".name", "duplicate " + what + " name \"" + name + "\" (first defined at " + first + ")");
            return null;
        }
        return name;
    }

    private String requiredString(MapNode m, String key, String path) {
        if (!m.fields().containsKey(key)) {
            missing(m, path, key);
            return null;
        }
        return optionalString(m, key, path);
    }

    private String optionalString(MapNode m, String key, String path) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        String s = string(f.value(), join(path, key));
        if (s != null && s.isBlank()) {
            error(f.value().location(), join(path, key), "must not be empty");
            return null;
        }
        return s;
    }

    private String string(ConfigNode n, String path) {
        if (n instanceof Scalar s && s.value() instanceof String str) return str;
        error(n.location(), path, "expected text, found " + n.describe());
        return null;
    }

    private Boolean bool(MapNode m, String key, String path) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        if (f.value() instanceof Scalar s) {
            if (s.value() instanceof Boolean b) return b;
            if (textScalars && s.value() instanceof String t) {
                String l = t.strip().toLowerCase(Locale.ROOT);
                if (l.equals("true") || l.equals("yes")) return true;
                if (l.equals("false") || l.equals("no")) return false;
            }
        }
        error(f.value().location(), join(path, key), "expected true or false, found " + f.value().describe());
        return null;
    }

    private Long integer(MapNode m, String key, String path, long min, long max) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        Long v = null;
        if (f.value() instanceof Scalar s) {
            if (s.value() instanceof Long l) v = l;
            else if (s.value() instanceof BigInteger) v = Long.MAX_VALUE; // reported as out of range below
            else if (textScalars && s.value() instanceof String t) {
                try {
                    v = Long.parseLong(t.strip());
                } catch (NumberFormatException e) {
                    v = null;
                }
            }
        }
        if (v == null) {
            error(f.value().location(), join(path, key), "expected a whole number, found " + f.value().describe());
            return null;
        }
        if (v < min || v > max) {
            error(f.value().location(), join(path, key), "must be between " + min + " and " + max + ", found "
                    + ((Scalar) f.value()).value());
            return null;
        }
        return v;
    }

    private Double number(ConfigNode n, String path) {
        if (n instanceof Scalar s) {
            if (s.value() instanceof Long l) return l.doubleValue();
            if (s.value() instanceof Double d) return d;
            if (textScalars && s.value() instanceof String t) {
                try {
                    return Double.valueOf(t.strip());
                } catch (NumberFormatException e) {
                    // fall through to the error
                }
            }
        }
        error(n.location(), path, "expected a number, found " + n.describe());
        return null;
    }

    /** A percentage of the host: a number in (0, 100], or the text "25%". */
    private Double percentNumber(MapNode m, String key, String path) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        Double v;
        if (f.value() instanceof Scalar s && s.value() instanceof String t && Rates.parsePercent(t) != null) {
            v = Rates.parsePercent(t);
        } else {
            v = number(f.value(), join(path, key));
        }
        if (v == null) return null;
        if (!(v > 0 && v <= 100)) {
            error(f.value().location(), join(path, key), "must be a percentage above 0 and at most 100, found "
                    + Rates.formatPercent(v));
            return null;
        }
        return v;
    }

    /** A bandwidth: "30mbit", a whole number of bits per second, or (when allowed) "25%" of the pipe. */
    private Amount amount(ConfigNode n, String path, boolean percentAllowed) {
        if (n instanceof Scalar s && s.value() instanceof Long l) {
            if (l <= 0) {
                error(n.location(), path, "must be above 0, found " + l);
                return null;
            }
            return new Amount.BitsPerSecond(l);
        }
        if (!(n instanceof Scalar s && s.value() instanceof String t)) {
            error(n.location(), path, "expected a rate like 30mbit" + (percentAllowed ? " or a percentage like 25%"
                    : "") + ", found " + n.describe());
            return null;
        }
        Double pct = Rates.parsePercent(t);
        if (pct != null) {
            if (!percentAllowed) {
                error(n.location(), path, "must be an absolute rate like 1gbit, not a percentage");
                return null;
            }
            if (!(pct > 0 && pct <= 100)) {
                error(n.location(), path, "must be a percentage above 0 and at most 100, found " + t.strip());
                return null;
            }
            return new Amount.Percent(pct);
        }
        try {
            long bits = Rates.parseBits(t);
            if (bits <= 0) {
                error(n.location(), path, "must be above 0, found " + t.strip());
                return null;
            }
            return new Amount.BitsPerSecond(bits);
        } catch (IllegalArgumentException e) {
            error(n.location(), path, e.getMessage() + (percentAllowed ? " or a percentage like 25%" : ""));
            return null;
        }
    }

    private Cidr cidr(MapNode m, String key, String path) {
        String t = optionalString(m, key, path);
        if (t == null) return null;
        try {
            return Cidr.parse(t);
        } catch (IllegalArgumentException e) {
            error(valueLoc(m, key), join(path, key), e.getMessage());
            return null;
        }
    }

    private PortRange port(MapNode m, String key, String path) {
        Field f = m.fields().get(key);
        if (f == null) return null;
        String text;
        if (f.value() instanceof Scalar s && (s.value() instanceof Long || s.value() instanceof String)) {
            text = s.value().toString();
        } else {
            error(f.value().location(), join(path, key), "expected a port or a range like 8000-8100, found "
                    + f.value().describe());
            return null;
        }
        try {
            return PortRange.parse(text);
        } catch (IllegalArgumentException e) {
            error(f.value().location(), join(path, key), e.getMessage());
            return null;
        }
    }

    private <E extends Enum<E>> E enumValue(MapNode m, String key, String path, Class<E> type, E dflt) {
        Field f = m.fields().get(key);
        if (f == null) return dflt;
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
        if (f.value() instanceof Scalar s && s.value() instanceof String t) {
            for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(t.strip())) return e;
        }
        error(f.value().location(), join(path, key), "expected one of " + String.join(", ", names) + ", found "
                + f.value().describe());
        return dflt;
    }

    private Map<String, Object> opaque(MapNode m, String key) {
        Field f = m.fields().get(key);
        if (f == null) return Map.of();
        if (!(f.value() instanceof MapNode) ) {
            error(f.value().location(), key, "expected an object, found " + f.value().describe());
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) plain(f.value());
        return v;
    }

    /** A located node as plain Java values (maps, lists, scalars) for sections this module does not interpret. */
    static Object plain(ConfigNode n) {
        if (n instanceof MapNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.fields().forEach((k, v) -> out.put(k, plain(v.value())));
            return java.util.Collections.unmodifiableMap(out);
        }
        if (n instanceof ListNode l) {
            List<Object> out = new ArrayList<>();
            for (ConfigNode i : l.items()) out.add(plain(i));
            return java.util.Collections.unmodifiableList(out);
        }
        Object v = ((Scalar) n).value();
        return v == null ? "" : v; // Map.copyOf rejects null values; an empty text is the closest neutral
    }

    private void exclusive(MapNode m, String path, String a, String b) {
        if (m.fields().containsKey(a) && m.fields().containsKey(b)) {
            error(m.fields().get(b).keyLocation(), join(path, b), "give either " + a + " or " + b + ", not both");
        }
    }

    private void missing(MapNode m, String path, String key) {
        error(m.location(), join(path, key), "required field is missing");
    }

    private static Location valueLoc(MapNode m, String key) {
        Field f = m.fields().get(key);
        return f == null ? m.location() : f.value().location();
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    private static Integer toInt(Long v) {
        return v == null ? null : (int) (long) v; // uid/gid above 2^31 keep their bits (unsigned in the kernel)
    }

    /** "did you mean" for the common case of a near-miss key (case or one typo). */
    private static String suggestion(String key, Set<String> allowed) {
        for (String a : allowed) {
            if (a.equalsIgnoreCase(key) || a.equalsIgnoreCase(key.replace("-", "").replace("_", ""))
                    || editDistance(a, key) == 1) {
                return " (did you mean \"" + a + "\"?)";
            }
        }
        return "";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1)
                        ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private void error(Location at, String field, String message) {
        errors.add(new ConfigError(at, field, message));
    }
}
