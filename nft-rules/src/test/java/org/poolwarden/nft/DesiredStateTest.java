package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DesiredStateTest {
    static Stream<Arguments> badRules() {
        return Stream.of(
                Arguments.of(new FlowRuleSpec("web", "tcp", null, "10.0.0.256", null, null), "rules[0].remote", "10.0.0.256"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, "10.0.0/8", null, null), "rules[0].remote", "10.0.0/8"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, "10.0.0.0/33", null, null), "rules[0].remote", "10.0.0.0/33"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, "example.com", null, null), "rules[0].remote", "example.com"),
                Arguments.of(new FlowRuleSpec("web", "tcp", "2001:db8::zz", null, null, null), "rules[0].local", "2001:db8::zz"),
                Arguments.of(new FlowRuleSpec("web", "tcp", "2001:db8::/129", null, null, null), "rules[0].local", "2001:db8::/129"),
                Arguments.of(new FlowRuleSpec("web", "tcp", "::ffff:10.0.0.1", null, null, null), "rules[0].local", "::ffff:10.0.0.1"),
                Arguments.of(new FlowRuleSpec("web", "tcp", "10.0.0.1", "2001:db8::1", null, null), "rules[0].remote", "2001:db8::1"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, null, "70000", null), "rules[0].localPort", "70000"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, null, null, "http"), "rules[0].remotePort", "http"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, null, null, "2000-1000"), "rules[0].remotePort", "2000-1000"),
                Arguments.of(new FlowRuleSpec("web", "tcp", null, null, null, "-5"), "rules[0].remotePort", "-5"),
                Arguments.of(new FlowRuleSpec("web", "sctp", null, null, null, "80"), "rules[0].protocol", "sctp"),
                Arguments.of(new FlowRuleSpec("nope", "tcp", null, null, null, "80"), "rules[0].app", "nope"),
                Arguments.of(new FlowRuleSpec("web", "any", null, null, null, null), "rules[0]", "every packet"));
    }

    @ParameterizedTest
    @MethodSource("badRules")
    void badRuleIsRejectedWithOneLineNamingFieldAndValue(FlowRuleSpec rule, String field, String value) {
        InvalidFlowConfigException e = assertThrows(InvalidFlowConfigException.class,
                () -> DesiredState.of(List.of(AppSpec.of("web", "1:10")), List.of(rule)));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    static Stream<Arguments> badApps() {
        return Stream.of(
                Arguments.of(List.of(AppSpec.of("web", "1:10"), AppSpec.of("db", "1:10")), "apps[1].classId", "1:10"),
                Arguments.of(List.of(AppSpec.of("web", "1:10"), AppSpec.of("db", "01:0010")), "apps[1].classId", "01:0010"),
                Arguments.of(List.of(AppSpec.of("web", "1:10"), AppSpec.of("web", "1:11")), "apps[1].name", "web"),
                Arguments.of(List.of(AppSpec.of("web app", "1:10")), "apps[0].name", "web app"),
                Arguments.of(List.of(AppSpec.of("web", "1")), "apps[0].classId", "\"1\""),
                Arguments.of(List.of(AppSpec.of("web", "1:0")), "apps[0].classId", "1:0"),
                Arguments.of(List.of(AppSpec.of("web", "10000:1")), "apps[0].classId", "10000:1"),
                Arguments.of(List.of(AppSpec.of("web", "g:1")), "apps[0].classId", "g:1"),
                Arguments.of(List.of(new AppSpec("web", "1:10", "/sys/fs/cgroup/x")), "apps[0].cgroup", "/sys/fs/cgroup/x"),
                Arguments.of(List.of(new AppSpec("web", "1:10", "a/../b")), "apps[0].cgroup", "a/../b"),
                Arguments.of(List.of(new AppSpec("web", "1:10", "a/\"b")), "apps[0].cgroup", "a/\"b"));
    }

    @ParameterizedTest
    @MethodSource("badApps")
    void badAppIsRejectedNamingFieldAndValue(List<AppSpec> apps, String field, String value) {
        InvalidFlowConfigException e = assertThrows(InvalidFlowConfigException.class,
                () -> DesiredState.of(apps, List.of()));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void errorNamesTheRightIndexAmongMany() {
        List<FlowRuleSpec> rules = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rules.add(FlowRuleSpec.remote("web", "tcp", "10.0.0." + i, "80"));
        }
        rules.set(37, FlowRuleSpec.remote("web", "tcp", "10.0.0.37", "80-79"));
        InvalidFlowConfigException e = assertThrows(InvalidFlowConfigException.class,
                () -> DesiredState.of(List.of(AppSpec.of("web", "1:10")), rules));
        assertEquals("rules[37].remotePort", e.field());
        assertTrue(e.getMessage().contains("reversed"), e.getMessage());
    }

    @Test
    void validInputIsNormalised() {
        DesiredState s = DesiredState.of(List.of(new AppSpec("web", "1:a", "pw/web")),
                List.of(new FlowRuleSpec("web", "UDP", "10.1.2.3/8", null,
                        " 53 ", "1000-2000")));
        App a = s.apps().get(0);
        assertEquals(new ClassId(1, 10), a.classId());
        assertEquals(0x1000a, a.mark());
        assertEquals(2, a.cgroupLevel());
        FlowRule r = s.rules().get(0);
        assertEquals(Protocol.UDP, r.protocol());
        assertEquals("10.0.0.0/8", FieldType.IPV4.format(r.local().range()));
        assertNull(r.remote());
        assertEquals(new PortRange(53, 53), r.localPort());
        assertEquals(new PortRange(1000, 2000), r.remotePort());
    }
}
