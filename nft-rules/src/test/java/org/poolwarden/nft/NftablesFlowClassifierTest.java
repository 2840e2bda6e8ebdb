package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.KernelException;
import org.poolwarden.os.Netns;
import org.poolwarden.os.Nftables;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/** The contract against libnftables, each test in a fresh scratch network namespace; plus what only it can do. */
@KernelTest(needs = {"ip", "ping"}, libraries = "libnftables.so.1")
class NftablesFlowClassifierTest extends FlowClassifierContract {
    @Override
    void inKernel(Body body) throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables outsider = Nftables.open()) {
                body.run(new Env() {
                    @Override
                    public FlowClassifier open() {
                        return NftablesFlowClassifier.open(null, "");
                    }

                    @Override
                    public void outside(List<Op> ops) {
                        outsider.run(new Batch(ops).text());
                    }

                    @Override
                    public TableState table() {
                        try {
                            return KernelTableReader.table(outsider.run("list table inet poolwarden"));
                        } catch (KernelException e) {
                            return TableState.absent();
                        }
                    }

                    @Override
                    public void pingLoopback(int n) throws Exception {
                        exec("ip", "link", "set", "lo", "up");
                        if (n > 0) {
                            exec("ping", "-c", Integer.toString(n), "-i", "0.01", "-W", "1", "127.0.0.1");
                        }
                    }
                });
            }
            return null;
        });
    }

    /** Runs a command in this thread's network namespace (a child inherits the namespace of the forking thread). */
    static String exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    @Test
    void onlyOurTableIsEverTouched() throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open(); NftablesFlowClassifier c = new NftablesFlowClassifier(nft, "")) {
                nft.run("""
                        add table inet other
                        add chain inet other output { type filter hook output priority -150; policy accept; }
                        add set inet other s { type ipv4_addr; elements = { 10.0.0.1 } }
                        add rule inet other output ip daddr @s counter
                        add table ip poolwarden
                        """);
                String before = nft.run("list ruleset");
                c.apply(Samples.many(300));
                c.apply(Samples.smallNoCgroup());
                c.removeAll();
                assertEquals(before, nft.run("list ruleset"));
            }
            return null;
        });
    }

    @Test
    void tenThousandRulesLoadAndAOneRuleChangeIsOneCommand() throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open(); NftablesFlowClassifier c = new NftablesFlowClassifier(nft, "")) {
                DesiredState big = Samples.many(10_000);
                c.apply(big);
                assertEquals(10_002, KernelTableReader.table(nft.run("list table inet poolwarden")).elementCount());
                assertEquals(0, c.apply(big).commands());
                List<FlowRuleSpec> specs = new java.util.ArrayList<>();
                for (FlowRule r : big.rules()) {
                    specs.add(new FlowRuleSpec(r.app(), "tcp", null, FieldType.IPV4.format(r.remote().range()), null,
                            FieldType.PORT.format(r.remotePort().interval())));
                }
                specs.remove(4321);
                DesiredState smaller = DesiredState.of(List.of(AppSpec.of("web", "1:10"), AppSpec.of("batch", "1:20")), specs);
                assertEquals(1, c.apply(smaller).commands());
                assertEquals(10_001, KernelTableReader.table(nft.run("list table inet poolwarden")).elementCount());
            }
            return null;
        });
    }

    @Test
    void aProcessOwnedAppNeedsItsCgroupAndIsAdoptedAcrossRestarts() throws Exception {
        String prefix = NftablesFlowClassifier.detectCgroupPrefix();
        Path mount = NftablesFlowClassifier.CGROUP_FS.resolve(prefix);
        KernelRequirement.require(Files.exists(mount.resolve("cgroup.procs")) ? null : "no cgroup2 mount at " + mount);
        String group = "poolwarden-test-" + UUID.randomUUID().toString().substring(0, 8);
        DesiredState s = DesiredState.of(List.of(new AppSpec("owned", "1:30", group)), List.of());
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open(); NftablesFlowClassifier c = new NftablesFlowClassifier(nft, prefix)) {
                InvalidFlowConfigException missing = assertThrows(InvalidFlowConfigException.class, () -> c.apply(s));
                assertEquals("apps[0].cgroup", missing.field());
                assertTrue(KernelTableReader.table(list(nft)).chains.isEmpty(), "nothing was sent");
                Files.createDirectory(mount.resolve(group));
                try {
                    assertTrue(c.apply(s).commands() > 0);
                    assertTrue(nft.run("list chain inet poolwarden output").contains(
                            (prefix.isEmpty() ? "" : prefix + "/") + group), "the rule names the group's path");
                    try (NftablesFlowClassifier restarted = NftablesFlowClassifier.open(null, prefix)) {
                        assertEquals(new FlowClassifier.Reconcile(0, false, true), restarted.apply(s));
                    }
                    // The group goes and comes back (an app restart): same path, new id; the rule must be reloaded.
                    Files.delete(mount.resolve(group));
                    Files.createDirectory(mount.resolve(group));
                    FlowClassifier.Reconcile reload = c.apply(s);
                    assertTrue(reload.commands() > 0 && !reload.drift(), reload.toString());
                    assertEquals(0, c.apply(s).commands());
                    c.removeAll();
                } finally {
                    Files.delete(mount.resolve(group));
                }
            }
            return null;
        });
    }

    @Test
    void countersOverNetlinkEqualLibnftablesListingAndOutsideCommitsEndTheShortcut() throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open(); NftablesFlowClassifier c = new NftablesFlowClassifier(nft, "")) {
                DesiredState s = DesiredState.of(List.of(AppSpec.of("loop", "1:5"), AppSpec.of("idle", "1:6")),
                        List.of(FlowRuleSpec.remote("loop", null, "127.0.0.1", null)));
                c.apply(s);
                exec("ip", "link", "set", "lo", "up");
                exec("ping", "-c", "2", "-i", "0.01", "127.0.0.1");
                java.util.Map<String, Traffic> json = KernelTableReader.counters(nft.run("list counters table inet poolwarden"));
                AppCounters viaNetlink = c.counters();
                assertEquals(AppCounters.fromCounters(json), viaNetlink);
                assertEquals(4, viaNetlink.of("loop").packets());
                assertEquals(java.util.Set.of("app_loop", "app_idle", "unclassified"), json.keySet());

                assertEquals(0, c.apply(s).commands());
                assertEquals(1, c.stats().unchangedShortcuts());
                nft.run("add table inet someone_else");   // a commit elsewhere: we must look again, and find no drift
                assertEquals(new FlowClassifier.Reconcile(0, false, false), c.apply(s));
                assertEquals(1, c.stats().unchangedShortcuts());
                assertEquals(0, c.apply(s).commands());
                assertEquals(2, c.stats().unchangedShortcuts());
            }
            return null;
        });
    }

    @Test
    void aBaseChainPolicyChangedOutsideIsPutBack() throws Exception {
        Netns.callInScratch(() -> {
            try (Nftables nft = Nftables.open(); NftablesFlowClassifier c = new NftablesFlowClassifier(nft, "")) {
                c.apply(Samples.smallNoCgroup());
                nft.run("add chain inet poolwarden forward { type filter hook forward priority -150; policy drop; }");
                assertTrue(nft.run("list chain inet poolwarden forward").contains("\"drop\""));
                FlowClassifier.Reconcile r = c.apply(Samples.smallNoCgroup());
                assertTrue(r.drift() && r.commands() > 0, r.toString());
                assertTrue(nft.run("list chain inet poolwarden forward").contains("\"accept\""));
                assertTrue(KernelTableReader.table(nft.run("list table inet poolwarden"))
                        .sameAs(new TableRenderer("").render(Samples.smallNoCgroup())));
            }
            return null;
        });
    }

    private static String list(Nftables nft) {
        try {
            return nft.run("list table inet poolwarden");
        } catch (KernelException e) {
            return "";
        }
    }
}
