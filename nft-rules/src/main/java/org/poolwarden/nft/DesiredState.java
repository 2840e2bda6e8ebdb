package org.poolwarden.nft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the classifier should make the kernel do: the apps and the flow rules that belong to them. Built only by
 * {@link #of}, which validates everything and throws a one-line {@link InvalidFlowConfigException} naming the
 * field; overlaps between rules are found by {@link TableRenderer} (also before anything is sent).
 */
public record DesiredState(List<App> apps, List<FlowRule> rules) {
    private static final Pattern APP_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,62}");
    private static final Pattern CGROUP_COMPONENT = Pattern.compile("[A-Za-z0-9_.:@+-]+");

    public DesiredState {
        apps = List.copyOf(apps);
        rules = List.copyOf(rules);
    }

    public static DesiredState empty() {
        return new DesiredState(List.of(), List.of());
    }

    public static DesiredState of(List<AppSpec> appSpecs, List<FlowRuleSpec> ruleSpecs) {
        List<App> apps = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<ClassId, Integer> classes = new HashMap<>();
        for (int i = 0; i < appSpecs.size(); i++) {
            AppSpec s = appSpecs.get(i);
            String f = "apps[" + i + "]";
            if (s.name() == null || !APP_NAME.matcher(s.name()).matches()) {
                throw new InvalidFlowConfigException(f + ".name", ClassId.quote(s.name())
                        + " is not an app name (a letter, then up to 62 letters, digits, '_' or '-')");
            }
            Integer dup = names.putIfAbsent(s.name(), i);
            if (dup != null) {
                throw new InvalidFlowConfigException(f + ".name", ClassId.quote(s.name())
                        + " is already the name of apps[" + dup + "]");
            }
            ClassId id = ClassId.parse(s.classId(), f + ".classId");
            Integer other = classes.putIfAbsent(id, i);
            if (other != null) {
                throw new InvalidFlowConfigException(f + ".classId", ClassId.quote(s.classId())
                        + " is already the class of apps[" + other + "] (" + appSpecs.get(other).name() + ")");
            }
            apps.add(new App(s.name(), id, cgroup(s.cgroup(), f + ".cgroup")));
        }
        List<FlowRule> rules = new ArrayList<>();
        for (int i = 0; i < ruleSpecs.size(); i++) {
            rules.add(rule(ruleSpecs.get(i), i, names));
        }
        return new DesiredState(apps, rules);
    }

    private static String cgroup(String path, String field) {
        if (path == null || path.isBlank()) {
            return null;
        }
        String p = path.strip();
        if (p.startsWith("/") || p.endsWith("/")) {
            throw new InvalidFlowConfigException(field, ClassId.quote(path)
                    + " must be relative to the cgroup2 mount, without leading or trailing '/'");
        }
        for (String c : p.split("/", -1)) {
            if (c.equals(".") || c.equals("..") || !CGROUP_COMPONENT.matcher(c).matches()) {
                throw new InvalidFlowConfigException(field, ClassId.quote(path)
                        + " has a bad component " + ClassId.quote(c));
            }
        }
        return p;
    }

    private static FlowRule rule(FlowRuleSpec s, int i, Map<String, Integer> apps) {
        String f = "rules[" + i + "]";
        if (s.app() == null || !apps.containsKey(s.app())) {
            throw new InvalidFlowConfigException(f + ".app", ClassId.quote(s.app()) + " is not a configured app");
        }
        Protocol proto = Protocol.parse(s.protocol(), f + ".protocol");
        AddressMatch local = blank(s.local()) ? null : AddressMatch.parse(s.local(), f + ".local");
        AddressMatch remote = blank(s.remote()) ? null : AddressMatch.parse(s.remote(), f + ".remote");
        if (local != null && remote != null && local.family() != remote.family()) {
            throw new InvalidFlowConfigException(f + ".remote", ClassId.quote(s.remote())
                    + " is IPv" + remote.family() + " but local " + ClassId.quote(s.local()) + " is IPv" + local.family());
        }
        PortRange lp = blank(s.localPort()) ? null : PortRange.parse(s.localPort(), f + ".localPort");
        PortRange rp = blank(s.remotePort()) ? null : PortRange.parse(s.remotePort(), f + ".remotePort");
        if (proto == Protocol.ANY && local == null && remote == null && lp == null && rp == null) {
            throw new InvalidFlowConfigException(f, "matches every packet; give a protocol, an address or a port");
        }
        return new FlowRule(i, s.app(), proto, local, remote, lp, rp);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
