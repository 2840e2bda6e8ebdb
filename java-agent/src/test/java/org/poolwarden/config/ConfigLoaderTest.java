package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.Policy.Amount;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void embeddedDefaultIsMonitorModeWithExampleAppsAndNoPolicies() {
        ConfigLoader.Result r = ConfigLoader.embeddedDefault();
        assertEquals(List.of(), r.errors());
        assertEquals(PoolwardenConfig.Mode.MONITOR, r.config().mode());
        assertTrue(r.config().apps().size() >= 2);
        r.config().apps().forEach(a -> assertNull(a.policy(), a.name() + " must not enforce anything by default"));
        assertEquals(PoolwardenConfig.Timers.DEFAULT, r.config().timers());
    }

    @Test
    void missingDirectoryGivesTheEmbeddedDefault() {
        ConfigLoader.Result r = ConfigLoader.loadDirectory(tmp.resolve("nope"));
        assertEquals(ConfigLoader.embeddedDefault().config().toString(), r.config().toString());
    }

    @Test
    void bindsEveryKindOfValue() {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", """
                mode: ENFORCE
                pipes: [{name: up, interface: eth0, capacity: 1.5gbit}]
                apps:
                  - name: a
                    includeChildren: true
                    processRules:
                      - {name: "ng*", uid: 33, env: "X=y*", cmdlineRegex: "a.b"}
                      - {gid: 4294967294, includeChildren: false}
                    flowRules:
                      - {protocol: udp, localAddress: "10.0.0.0/255.255.0.0", remotePort: "1000-2000", localPort: 53}
                    policy:
                      cpu: {percent: "12.5%", cap: 50}
                      bandwidth: [{pipe: up, booking: 10%, burst: 200000000}]
                """);
        assertEquals(List.of(), r.errors());
        PoolwardenConfig c = r.config();
        assertEquals(PoolwardenConfig.Mode.ENFORCE, c.mode());
        assertEquals(1_500_000_000L, c.pipe("up").capacityBitsPerSecond());
        App a = c.app("a");
        ProcessRule p0 = a.processRules().get(0);
        assertTrue(p0.includeChildren(), "inherits the app's includeChildren");
        assertEquals(new ProcessRule.EnvMatch("X", "y*"), p0.env());
        assertEquals("a.b", p0.cmdlineRegex().pattern());
        ProcessRule p1 = a.processRules().get(1);
        assertFalse(p1.includeChildren(), "a rule's own includeChildren overrides the app's");
        assertEquals(4294967294L, Integer.toUnsignedLong(p1.gid()));
        FlowRule f = a.flowRules().get(0);
        assertEquals(FlowRule.Protocol.UDP, f.protocol());
        assertEquals(Cidr.parse("10.0.0.0/16"), f.localAddress());
        assertEquals(new PortRange(1000, 2000), f.remotePort());
        assertEquals(new PortRange(53, 53), f.localPort());
        assertEquals(12.5, a.policy().cpu().percent());
        assertEquals(50.0, a.policy().cpu().capPercent());
        assertEquals(Policy.DEFAULT_PRIORITY, a.policy().priority());
        assertEquals(new Amount.Percent(10), a.policy().bandwidth().get(0).booking());
        assertEquals(new Amount.BitsPerSecond(200_000_000L), a.policy().bandwidth().get(0).burst());
    }

    @Test
    void yamlJsonAndXmlOfTheSameRulesBindToTheSameModel() {
        String yaml = """
                pipes: [{name: up, interface: eth0, capacity: 1gbit}]
                apps:
                  - name: AppDaemons
                    includeChildren: true
                    processRules: [{cmdline: "appd*"}]
                    flowRules: [{localPort: 3723}]
                    policy: {priority: 7, cpu: {weight: 200}, bandwidth: [{pipe: up, booking: 30mbit, burst: 50%}]}
                """;
        String json = """
                {"pipes": [{"name": "up", "interface": "eth0", "capacity": "1gbit"}],
                 "apps": [{"name": "AppDaemons", "includeChildren": true, "processRules": [{"cmdline": "appd*"}],
                   "flowRules": [{"localPort": 3723}],
                   "policy": {"priority": 7, "cpu": {"weight": 200},
                              "bandwidth": [{"pipe": "up", "booking": "30mbit", "burst": "50%"}]}}]}
                """;
        String xml = """
                <APP-RULES>
                  <PIPE NAME="up" INTERFACE="eth0" CAPACITY="1gbit"/>
                  <APP-RULE NAME="AppDaemons" FLAGS="INCLUDE-CHILD-PROCESSES">
                    <PROCESS-RULE><PROCESS-VALIDATION-CLAUSES><CMDLINE>appd*</CMDLINE></PROCESS-VALIDATION-CLAUSES></PROCESS-RULE>
                    <FLOW-RULE><FLOW-VALIDATION-CLAUSES><LOCAL-PORT>3723</LOCAL-PORT></FLOW-VALIDATION-CLAUSES></FLOW-RULE>
                    <POLICY PRIORITY="7"><CPU WEIGHT="200"/><BANDWIDTH PIPE="up" BOOKING="30mbit" BURST="50%"/></POLICY>
                  </APP-RULE>
                </APP-RULES>
                """;
        String a = ConfigLoader.parse("a", yaml).config().toString();
        assertEquals(a, ConfigLoader.parse("b", json).config().toString());
        assertEquals(a, ConfigLoader.parse("c", xml).config().toString());
    }

    @Test
    void directoryAppendsXmlAppsAfterTheMainFileAndChecksThemTogether() throws IOException {
        Files.writeString(tmp.resolve("poolwarden.yaml"), """
                pipes: [{name: up, interface: eth0, capacity: 100mbit}]
                apps: [{name: first, processRules: [{name: a}]}]
                """);
        Files.writeString(tmp.resolve("b.xml"), """
                <APP-RULE NAME="third"><PROCESS-RULE><PROCESS-NAME>c</PROCESS-NAME></PROCESS-RULE>
                  <POLICY><BANDWIDTH PIPE="up" BOOKING="10%"/></POLICY></APP-RULE>
                """);
        Files.writeString(tmp.resolve("a.xml"), """
                <APP-RULE NAME="second"><PROCESS-RULE><PROCESS-NAME>b</PROCESS-NAME></PROCESS-RULE></APP-RULE>
                """);
        ConfigLoader.Result r = ConfigLoader.loadDirectory(tmp);
        assertEquals(List.of(), r.errors());
        assertEquals(List.of("first", "second", "third"), r.config().apps().stream().map(App::name).toList());

        Files.writeString(tmp.resolve("c.xml"), """
                <APP-RULES>
                  <APP-RULE NAME="first"><PROCESS-RULE><PROCESS-NAME>d</PROCESS-NAME></PROCESS-RULE>
                    <POLICY><BANDWIDTH PIPE="down" BOOKING="1mbit"/></POLICY></APP-RULE>
                </APP-RULES>
                """);
        ConfigLoader.Result bad = ConfigLoader.loadDirectory(tmp);
        assertFalse(bad.valid());
        String c = tmp.resolve("c.xml").toString();
        String y = tmp.resolve("poolwarden.yaml").toString();
        assertEquals(List.of(
                c + ":2:3: apps[3].name: duplicate app name \"first\" (first defined at " + y + ":2:15)",
                c + ":3:13: apps[3].policy.bandwidth[0].pipe: unknown pipe \"down\" (defined: up)"),
                bad.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void twoMainFilesAreAnError() throws IOException {
        Files.writeString(tmp.resolve("poolwarden.yaml"), "mode: monitor\n");
        Files.writeString(tmp.resolve("poolwarden.json"), "{}\n");
        ConfigLoader.Result r = ConfigLoader.loadDirectory(tmp);
        assertFalse(r.valid());
        assertTrue(r.errors().get(0).message().contains("more than one main config file"), r.errors().toString());
    }

    @Test
    void unreadableAndBinaryFilesAreReportedNotThrown() throws IOException {
        ConfigLoader.Result missing = ConfigLoader.loadFile(tmp.resolve("absent.yaml"));
        assertEquals(tmp.resolve("absent.yaml") + ":0:0: (file): no such file", missing.errors().get(0).toString());
        Path bin = tmp.resolve("bin");
        Files.write(bin, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertEquals("not UTF-8 text", ConfigLoader.loadFile(bin).errors().get(0).message());
    }

    @Test
    void xmlWithoutPipesChecksPipeReferencesOnlyWhenLoadedWithTheMainConfig() {
        ConfigLoader.Result r = ConfigLoader.parse("r.xml", """
                <APP-RULE NAME="x"><PROCESS-RULE><PROCESS-NAME>x</PROCESS-NAME></PROCESS-RULE>
                  <POLICY><BANDWIDTH PIPE="somewhere" BOOKING="10%"/></POLICY></APP-RULE>
                """);
        assertEquals(List.of(), r.errors());
        assertInstanceOf(Amount.Percent.class, r.config().app("x").policy().bandwidth().get(0).booking());
    }

    @Test
    void xmlExternalEntitiesAreNotFetched() throws IOException {
        Path secret = tmp.resolve("secret");
        Files.writeString(secret, "leaked");
        ConfigLoader.Result r = ConfigLoader.parse("x.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM \""
                + secret.toUri() + "\">]>\n<APP-RULE NAME=\"x\"><PROCESS-RULE><PROCESS-NAME>&e;</PROCESS-NAME>"
                + "</PROCESS-RULE></APP-RULE>\n");
        assertFalse(r.valid());
        r.errors().forEach(e -> assertFalse(e.toString().contains("leaked"), e.toString()));
    }
}
