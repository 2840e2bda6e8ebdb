package org.poolwarden.detect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.config.App;
import org.poolwarden.config.FlowRule;
import org.poolwarden.config.FlowRule.Protocol;

/**
 * The flow rules of a config, for attributing existing sockets to apps in monitoring (the kernel-side classification
 * is nft-rules' job). Like processes, a socket belongs to the first app in config order with a matching flow rule;
 * within a rule every attribute given must match.
 */
public final class FlowMatcher {
    private final List<String> apps = new ArrayList<>();
    private final List<List<FlowRule>> rules = new ArrayList<>();

    public FlowMatcher(List<App> appList) {
        for (App a : appList) {
            apps.add(a.name());
            rules.add(a.flowRules());
        }
    }

    /** The app's name, or null when no flow rule matches. */
    public String match(Socket s) {
        for (int a = 0; a < rules.size(); a++) {
            for (FlowRule r : rules.get(a)) if (matches(r, s)) return apps.get(a);
        }
        return null;
    }

    /** Sockets per app, apps in config order; unmatched sockets are left out. */
    public Map<String, List<Socket>> byApp(List<Socket> sockets) {
        Map<String, List<Socket>> out = new LinkedHashMap<>();
        for (String a : apps) out.put(a, new ArrayList<>());
        for (Socket s : sockets) {
            String a = match(s);
            if (a != null) out.get(a).add(s);
        }
        out.values().removeIf(List::isEmpty);
        return out;
    }

    static boolean matches(FlowRule r, Socket s) {
        if (r.protocol() != null && r.protocol() != Protocol.ANY && r.protocol() != s.protocol()) return false;
        if (r.localAddress() != null && !contains(r.localAddress(), s.localAddress())) return false;
        if (r.remoteAddress() != null && !contains(r.remoteAddress(), s.remoteAddress())) return false;
        if (r.localPort() != null && !r.localPort().contains(s.localPort())) return false;
        if (r.remotePort() != null && !r.remotePort().contains(s.remotePort())) return false;
        return true;
    }

    /** IPv4 rules also match IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), as dual-stack sockets show them. */
    private static boolean contains(org.poolwarden.config.Cidr c, byte[] addr) {
        if (c.contains(addr)) return true;
        if (c.isIpv4() && addr.length == 16 && isV4Mapped(addr)) {
            return c.contains(java.util.Arrays.copyOfRange(addr, 12, 16));
        }
        return false;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }
}
