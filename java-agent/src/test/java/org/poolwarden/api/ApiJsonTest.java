package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.Location;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig.Mode;

class ApiJsonTest {
    final ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
    final FakeAgentApi agent = ApiFixture.agent(clock);

    <T> T roundTrip(T v, Class<T> type) throws Exception {
        return ApiJson.read(ApiJson.write(v), type);
    }

    @Test
    void everyAnswerReadsBackEqual() throws Exception {
        assertEquals(agent.status(), roundTrip(agent.status(), Status.class));
        assertEquals(agent.app("web"), roundTrip(agent.app("web"), AppView.class));
        History h = agent.history("web", ApiFixture.START);
        assertEquals(h, roundTrip(h, History.class));
        PolicyResult pr = PolicyResult.applied("web", agent.policy("web"));
        assertEquals(pr, roundTrip(pr, PolicyResult.class));
        ModeChange mc = new ModeChange(Mode.MONITOR, Mode.ENFORCE);
        assertEquals(mc, roundTrip(mc, ModeChange.class));
        ReloadResult rr = new ReloadResult(false, "/etc/poolwarden", 2, List.of(new ConfigError(
                new Location("/etc/poolwarden/poolwarden.yaml", 4, 5), "apps[1].policy", "bad")));
        assertEquals(rr, roundTrip(rr, ReloadResult.class));
    }

    @Test
    void theWireFormIsTheConfigFilesForm() {
        String j = ApiJson.write(agent.policy("web"));
        assertEquals("{\"priority\":7,\"cpu\":{\"weight\":300},\"bandwidth\":[{\"pipe\":\"wan\",\"booking\":\"30mbit\","
                + "\"burst\":\"50%\"}]}", j);
        assertEquals("\"enforce\"", ApiJson.write(Mode.ENFORCE));
        assertEquals("\"2026-11-23T10:00:00Z\"", ApiJson.write(ApiFixture.START));
    }

    @Test
    void aPolicyReadsBackFromItsJson() throws Exception {
        Policy p = agent.policy("web");
        assertEquals(p, ApiJson.parsePolicy(ApiJson.readBody(ApiJson.write(p).getBytes(StandardCharsets.UTF_8))));
        assertNull(ApiJson.parsePolicy(ApiJson.readBody("null".getBytes(StandardCharsets.UTF_8))));
        Policy q = ApiJson.parsePolicy(ApiJson.readBody(
                "{\"bandwidth\":[{\"pipe\":\"wan\",\"booking\":1000}]}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(new Policy.Amount.BitsPerSecond(1000), q.bandwidth().get(0).booking());
        assertEquals(Policy.DEFAULT_PRIORITY, q.priority());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"priority\":1.5}|priority|expected a whole number, found the number 1.5",
        "{\"priority\":99999999999}|priority|expected a whole number, found the number 99999999999",
        "{\"cpu\":[]}|cpu|expected an object, found a list",
        "{\"cpu\":{\"percent\":true}}|cpu.percent|expected a percentage like 25 or \"25%\", found the boolean true",
        "{\"bandwidth\":{}}|bandwidth|expected a list, found an object",
        "{\"bandwidth\":[{\"booking\":\"1mbit\"}]}|bandwidth[0].pipe|missing",
        "{\"bandwidth\":[{\"pipe\":\"wan\",\"burst\":\"fast\"}]}|bandwidth[0].burst|\"fast\" is not a rate (examples: 30mbit, 1gbit, 500kbit)",
        "{\"priority\":3,\"extra\":1}|extra|unknown field (allowed: bandwidth, cpu, priority)",
    })
    void shapeErrorsNameTheField(String body, String field, String message) {
        ApiJson.BadRequest e = assertThrows(ApiJson.BadRequest.class,
                () -> ApiJson.parsePolicy(ApiJson.readBody(body.getBytes(StandardCharsets.UTF_8))));
        assertEquals(field, e.field());
        assertEquals(message, e.getMessage());
    }

    @Test
    void malformedJsonSaysWhere() {
        ApiJson.BadRequest e = assertThrows(ApiJson.BadRequest.class,
                () -> ApiJson.readBody("{\n  \"mode\": enforce}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("malformed JSON at line 2, column "), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'));
        assertEquals("", e.field());
    }
}
