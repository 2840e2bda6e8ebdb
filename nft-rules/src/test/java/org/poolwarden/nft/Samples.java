package org.poolwarden.nft;

import java.util.ArrayList;
import java.util.List;

/** Desired states used by several tests. */
final class Samples {
    private Samples() {
    }

    static final List<AppSpec> APPS = List.of(
            new AppSpec("web", "1:10", null),
            new AppSpec("batch", "1:20", null),
            new AppSpec("backup", "1:a0", "poolwarden/backup"));

    static final List<FlowRuleSpec> RULES = List.of(
            new FlowRuleSpec("web", "tcp", null, null, "80", null),
            new FlowRuleSpec("web", "tcp", null, null, "443", null),
            new FlowRuleSpec("batch", "udp", null, "10.20.0.0/16", null, "5000-5100"),
            new FlowRuleSpec("batch", "any", "192.0.2.7", "198.51.100.9", null, "9000"),
            new FlowRuleSpec("backup", "tcp", null, "2001:db8::/32", null, "873"),
            new FlowRuleSpec("backup", null, null, "203.0.113.0/24", null, null),
            new FlowRuleSpec("web", "tcp", null, "203.0.113.80", null, "8080"));

    static DesiredState small() {
        return DesiredState.of(APPS, RULES);
    }

    /** The same without the cgroup app (for kernels where no cgroup2 group is at hand). */
    static DesiredState smallNoCgroup() {
        List<AppSpec> apps = List.of(APPS.get(0), APPS.get(1), new AppSpec("backup", "1:a0", null));
        return DesiredState.of(apps, RULES);
    }

    /**
     * {@code n} flow rules over two apps: distinct remote hosts on one of 50 ports (exact, hash map), plus every
     * tenth one a /24 with a port range (interval map).
     */
    static DesiredState many(int n) {
        List<FlowRuleSpec> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String app = i % 2 == 0 ? "web" : "batch";
            if (i % 10 == 9) {
                int j = i / 10;
                rules.add(FlowRuleSpec.remote(app, "tcp", "10." + (100 + j / 256) + "." + (j % 256) + ".0/24",
                        (20000 + i % 50 * 10) + "-" + (20009 + i % 50 * 10)));
            } else {
                rules.add(FlowRuleSpec.remote(app, "tcp", "10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256),
                        Integer.toString(1000 + i % 50)));
            }
        }
        return DesiredState.of(List.of(AppSpec.of("web", "1:10"), AppSpec.of("batch", "1:20")), rules);
    }
}
