package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.poolwarden.config.App;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.FlowRule;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.nft.AppSpec;
import org.poolwarden.nft.DesiredState;
import org.poolwarden.nft.FlowRuleSpec;
import org.poolwarden.nft.TableRenderer;
import org.poolwarden.nft.TableState;

/**
 * The flow-rule examples for the common cases (examples/web-tier.yaml, database-by-process.yaml,
 * backup-capped.yaml, tenants.yaml): valid by the same loader as {@code poolwarden validate}, and each really shows
 * the case it is named after.
 */
class RolloutExamplesTest {
    static final Path EXAMPLES = Commands.ROOT.resolve("examples");

    static PoolwardenConfig load(String name) {
        ConfigLoader.Result r = ConfigLoader.loadFile(EXAMPLES.resolve(name));
        assertEquals(List.of(), r.errors().stream().map(ConfigError::toString).toList(), name);
        return r.config();
    }

    @ParameterizedTest
    @ValueSource(strings = {"web-tier.yaml", "database-by-process.yaml", "backup-capped.yaml", "tenants.yaml"})
    void exampleIsValidInMonitorModeWithPoliciesOnItsPipes(String name) {
        PoolwardenConfig c = load(name);
        assertEquals(PoolwardenConfig.Mode.MONITOR, c.mode(), "examples start in monitor mode");
        assertTrue(c.apps().size() >= 2, name);
        for (App a : c.apps()) {
            assertNotNull(a.policy(), name + ": " + a.name() + " has a policy");
            for (Policy.BandwidthPolicy b : a.policy().bandwidth()) {
                assertNotNull(c.pipe(b.pipe()), name + ": " + a.name() + " uses a defined pipe");
            }
        }
    }

    @Test
    void webTierIsRecognisedByPortsOnly() {
        for (App a : load("web-tier.yaml").apps()) {
            assertTrue(a.processRules().isEmpty(), a.name());
            assertTrue(!a.flowRules().isEmpty() && a.flowRules().stream().allMatch(r -> r.localPort() != null),
                    a.name() + ": every rule names a local port");
        }
        App web = load("web-tier.yaml").app("web");
        assertTrue(web.flowRules().stream().anyMatch(r -> r.localPort().from() == 443
                && r.protocol() == FlowRule.Protocol.TCP));
    }

    @Test
    void databasesAreRecognisedByProcessOnly() {
        PoolwardenConfig c = load("database-by-process.yaml");
        for (App a : c.apps()) {
            assertTrue(a.flowRules().isEmpty(), a.name() + ": traffic follows the processes, no flow rules");
            assertTrue(!a.processRules().isEmpty(), a.name());
        }
        assertTrue(c.app("postgres").includeChildren(), "backends are forked per connection");
        assertEquals(List.of("pg-replication", "postgres"), c.apps().subList(0, 2).stream().map(App::name).toList(),
                "the more specific app comes first: the first matching app wins");
    }

    @Test
    void backupIsCappedWithoutABookingAndGivesWayFirst() {
        PoolwardenConfig c = load("backup-capped.yaml");
        App backup = c.app("backup");
        Policy.BandwidthPolicy bw = backup.policy().bandwidth().get(0);
        assertNull(bw.booking(), "spare capacity only");
        assertEquals(new Policy.Amount.BitsPerSecond(200_000_000L), bw.burst());
        assertEquals(25.0, backup.policy().cpu().capPercent());
        int lowest = c.apps().stream().mapToInt(a -> a.policy().priority()).min().orElseThrow();
        assertEquals(lowest, backup.policy().priority());
        assertTrue(c.apps().stream().filter(a -> a != backup).allMatch(a -> a.policy().priority() > lowest));
    }

    @Test
    void tenantsAreOverAThousandDisjointRangesThatBecomeOneNftablesMap() {
        PoolwardenConfig c = load("tenants.yaml");
        assertTrue(c.apps().size() >= 1000, "1,000+ tenants: " + c.apps().size());
        Set<String> ranges = new HashSet<>();
        List<AppSpec> apps = new ArrayList<>();
        List<FlowRuleSpec> rules = new ArrayList<>();
        for (int i = 0; i < c.apps().size(); i++) {
            App a = c.apps().get(i);
            assertEquals(1, a.flowRules().size(), a.name());
            FlowRule r = a.flowRules().get(0);
            assertTrue(ranges.add(r.localAddress().toString()), "one range per tenant: " + r.localAddress());
            apps.add(AppSpec.of(a.name(), "1:" + Integer.toHexString(0x10 + i)));
            rules.add(new FlowRuleSpec(a.name(), null, r.localAddress().toString(), null, null, null));
        }
        // The nft-rules renderer (what the agent will feed) puts every tenant's rule into one interval verdict map:
        // one lookup per packet whatever the number of tenants. It also refuses overlapping ranges.
        TableState t = new TableRenderer(null).render(DesiredState.of(apps, rules));
        List<TableState.NftMap> flowMaps = t.maps.values().stream()
                .filter(m -> !m.name.equals(TableRenderer.RESTORE_MAP)).toList();
        assertEquals(1, flowMaps.size(), t.maps.keySet().toString());
        assertTrue(flowMaps.get(0).interval);
        assertEquals(c.apps().size(), flowMaps.get(0).elements.size());
        assertEquals(2, t.chains.get(TableRenderer.FLOWS_CHAIN).rules.size(), "one vmap rule and the counter");
    }

    @Test
    void theExampleInventorysPoolVariablesMakeAValidConfig() throws Exception {
        // What the role's template writes from ansible/inventory/group_vars/pool/main.yml, with the per-host
        // interface filled in as for web1 in inventory/pool.yml.
        YAMLMapper yaml = new YAMLMapper();
        JsonNode vars = yaml.readTree(Commands.ROOT.resolve("ansible/inventory/group_vars/pool/main.yml").toFile());
        String hostInterface = yaml.readTree(Commands.ROOT.resolve("ansible/inventory/pool.yml").toFile())
                .path("pool").path("hosts").path("web1.example.net").path("poolwarden_uplink_interface").asText();
        assertEquals("eth0", hostInterface);
        ObjectNode config = yaml.createObjectNode();
        config.put("mode", vars.path("poolwarden_mode").asText());
        config.set("pipes", vars.path("poolwarden_pipes"));
        config.set("apps", vars.path("poolwarden_apps"));
        String text = yaml.writeValueAsString(config).replace("{{ poolwarden_uplink_interface }}", hostInterface);
        ConfigLoader.Result r = ConfigLoader.parse("group_vars/pool/main.yml", text);
        assertEquals(List.of(), r.errors().stream().map(ConfigError::toString).toList(), text);
        assertEquals(PoolwardenConfig.Mode.MONITOR, r.config().mode());
        assertEquals("eth0", r.config().pipe("uplink").iface());
        assertEquals(2, r.config().apps().size());
    }
}
