package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Location;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.log.Log;

/** The HTTP API on a real loopback socket, driven by java.net.http against the fake agent. */
class ApiServerTest {
    @TempDir
    Path dir;
    ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
    FakeAgentApi agent;
    ApiServer server;
    String token;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        agent = ApiFixture.agent(clock);
        Path tf = dir.resolve("api.token");
        server = ApiServer.start(agent, new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0), tf, 1024), clock,
                Log.NONE);
        token = Files.readString(tf).strip();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<String> call(String method, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10));
        if (auth != null) b.header("Authorization", auth);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, "Bearer " + token);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "content type of " + r.body());
        return ApiJson.MAPPER.readTree(r.body());
    }

    @Test
    void tokenFileIsCreatedPrivateWithARandomToken() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("api.token"))));
        assertEquals(TokenFile.TOKEN_BYTES * 2, token.length());
        assertTrue(token.matches("[0-9a-f]+"));
    }

    @Test
    void statusAnswersTheAgentsState() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/status", null);
        assertEquals(200, r.statusCode());
        JsonNode s = json(r);
        assertEquals("host-a", s.get("host").asText());
        assertEquals("monitor", s.get("mode").asText());
        assertEquals(3725, s.get("uptimeSeconds").asLong());
        assertEquals("2026-11-23T10:00:00Z", s.get("started").asText());
        assertEquals(40, s.get("processes").asInt());
        assertEquals(36, s.get("unassignedProcesses").asInt());
        assertEquals(1862, s.get("counters").get("slow_ticks").asLong());
        assertEquals(Alarm.INSUFFICIENT_RESOURCES, s.get("alarms").get(0).get("kind").asText());
        assertEquals("cpu", s.get("alarms").get(0).get("resource").asText());
    }

    @Test
    void appsCarryInstancesAndLiveUsage() throws Exception {
        JsonNode apps = json(call("GET", "/v1/apps", null));
        assertEquals(2, apps.size());
        JsonNode web = apps.get(0);
        assertEquals("web", web.get("name").asText());
        assertTrue(web.get("managed").asBoolean());
        assertEquals(7, web.get("priority").asInt());
        JsonNode u = web.get("instances").get(0).get("usage");
        assertEquals(37.5, u.get("cpuPercent").asDouble());
        assertEquals(12, u.get("throttling").get("throttledPeriods").asLong());
        assertEquals(2.5, u.get("pressure").get("some").get("avg10").asDouble());
        assertTrue(u.get("pressure").get("full").isNull(), "unknown PSI line is null, not 0");
        assertEquals("egress", u.get("pipes").get(0).get("direction").asText());
        assertEquals(5_000_000, u.get("pipes").get(0).get("bytes").asLong());
        JsonNode batch = apps.get(1);
        assertFalse(batch.get("managed").asBoolean());
        assertTrue(batch.get("priority").isNull());
        assertTrue(batch.get("instances").get(0).get("usage").get("throttling").isNull());

        assertEquals(web, json(call("GET", "/v1/apps/web", null)));
    }

    @Test
    void theClientReadsBackTheSameRecordsTheAgentHas() {
        HttpAgentApi c = new HttpAgentApi(URI.create(server.url()), token, Duration.ofSeconds(10));
        assertEquals(agent.status(), c.status());
        assertEquals(agent.apps(), c.apps());
        assertEquals(agent.app("web"), c.app("web"));
        assertEquals(agent.policy("web"), c.policy("web"));
        assertNull(c.policy("batch"));
        assertEquals(agent.history("web", ApiFixture.START), c.history("web", ApiFixture.START));
        assertThrows(UnknownAppException.class, () -> c.app("nope"));
        assertThrows(UnknownAppException.class, () -> c.policy("nope"));
    }

    @Test
    void policyPutValidatesAndApplies() throws Exception {
        HttpResponse<String> r = call("PUT", "/v1/apps/batch/policy",
                "{\"priority\":3,\"cpu\":{\"percent\":\"20%\",\"cap\":40},\"bandwidth\":[{\"pipe\":\"wan\",\"burst\":\"40mbit\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(json(r).get("applied").asBoolean());
        Policy p = agent.policy("batch");
        assertEquals(3, p.priority());
        assertEquals(20.0, p.cpu().percent());
        assertEquals(40.0, p.cpu().capPercent());
        assertEquals(new Policy.Amount.BitsPerSecond(40_000_000), p.bandwidth().get(0).burst());
        JsonNode got = json(call("GET", "/v1/apps/batch/policy", null));
        assertEquals("40mbit", got.get("policy").get("bandwidth").get(0).get("burst").asText());

        r = call("DELETE", "/v1/apps/batch/policy", null);
        assertEquals(200, r.statusCode());
        assertNull(agent.policy("batch"));
        assertTrue(json(call("GET", "/v1/apps/batch/policy", null)).get("policy").isNull());
    }

    @Test
    void policyPatchEditsSingleKeys() throws Exception {
        HttpResponse<String> r = call("PATCH", "/v1/apps/web/policy", "{\"cpu.weight\":500,\"bandwidth.wan.booking\":\"40mbit\"}");
        assertEquals(200, r.statusCode(), r.body());
        Policy p = agent.policy("web");
        assertEquals(500, p.cpu().weight());
        assertEquals(new Policy.Amount.BitsPerSecond(40_000_000), p.bandwidth().get(0).booking());
        assertEquals(new Policy.Amount.Percent(50), p.bandwidth().get(0).burst(), "untouched key kept");
        assertEquals(7, p.priority());
    }

    @Test
    void modeSwitchesAndReportsThePreviousMode() throws Exception {
        HttpResponse<String> r = call("PUT", "/v1/mode", "{\"mode\":\"enforce\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("monitor", json(r).get("previous").asText());
        assertEquals("enforce", json(r).get("current").asText());
        assertEquals(Mode.ENFORCE, agent.status().mode());
        assertEquals("enforce", json(call("GET", "/v1/mode", null)).get("mode").asText());
    }

    @Test
    void historySinceAnAgeOrATime() throws Exception {
        JsonNode h = json(call("GET", "/v1/apps/web/history?since=25m", null));
        // samples every 10 minutes, the newest 10 min ago: 25 min back holds two
        assertEquals(2, h.get("samples").size());
        assertEquals(40.0, h.get("samples").get(0).get("cpuPercent").asDouble());
        JsonNode all = json(call("GET", "/v1/apps/web/history?since=2026-11-23T10:00:00Z", null));
        assertEquals(5, all.get("samples").size());
        assertEquals("2026-11-23T10:00:00Z", all.get("since").asText());
    }

    @Test
    void reloadAppliesAValidConfigAndKeepsTheRunningOneOnErrors() throws Exception {
        List<ConfigError> errs = List.of(new ConfigError(new Location("/etc/poolwarden/poolwarden.yaml", 12, 9),
                "apps[0].policy.cpu.weight", "must be from 1 to 10000, found 0"));
        agent.reloadFrom(() -> new ConfigLoader.Result(null, errs));
        int before = agent.changes();
        HttpResponse<String> r = call("POST", "/v1/config/reload", "");
        assertEquals(422, r.statusCode());
        JsonNode j = json(r);
        assertFalse(j.get("applied").asBoolean());
        assertEquals("/etc/poolwarden/poolwarden.yaml:12:9: apps[0].policy.cpu.weight: must be from 1 to 10000,"
                + " found 0", j.get("errors").get(0).get("text").asText());
        assertEquals(12, j.get("errors").get(0).get("line").asInt());
        assertEquals(before, agent.changes());
        assertEquals(7, agent.policy("web").priority());

        agent.reloadFrom(() -> ConfigLoader.parse("new.yaml", ApiFixture.CONFIG.replace("priority: 7", "priority: 9")));
        r = call("POST", "/v1/config/reload", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(9, agent.policy("web").priority());
    }

    // ---- bad requests: right status, a JSON error with one line naming the field, and nothing changed ----

    @ParameterizedTest(name = "{0} {1} -> {3} ({4})")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "GET   |/v1/nothing                |                                             |404|path",
        "GET   |/v2/status                 |                                             |404|path",
        "GET   |/v1/apps/nope              |                                             |404|app",
        "GET   |/v1/apps/we%0Ab%22         |                                             |404|app",
        "PUT   |/v1/apps/nope/policy       |{\"priority\":3}                             |404|app",
        "GET   |/v1/apps/web/nothing       |                                             |404|path",
        "POST  |/v1/status                 |                                             |405|method",
        "DELETE|/v1/mode                   |                                             |405|method",
        "GET   |/v1/config/reload          |                                             |405|method",
        "PUT   |/v1/mode                   |{\"mode\":                                   |400|''",
        "PUT   |/v1/mode                   |                                             |400|''",
        "PUT   |/v1/mode                   |{\"mode\":\"on\"}                            |400|mode",
        "PUT   |/v1/mode                   |{\"mode\":\"enforce\",\"force\":true}        |400|force",
        "PUT   |/v1/mode                   |{\"mode\":\"enforce\",\"mode\":\"monitor\"}  |400|''",
        "PUT   |/v1/apps/web/policy        |{\"priority\":3,\"cpu\":{\"weigth\":5}}      |400|cpu.weigth",
        "PUT   |/v1/apps/web/policy        |{\"priority\":\"high\"}                      |400|priority",
        "PUT   |/v1/apps/web/policy        |{\"bandwidth\":[{\"pipe\":\"wan\",\"booking\":\"30mbps\"}]}|400|bandwidth[0].booking",
        "PUT   |/v1/apps/web/policy        |[1,2]                                        |400|''",
        "PUT   |/v1/apps/web/policy        |{\"priority\":11}                            |422|priority",
        "PUT   |/v1/apps/web/policy        |{\"cpu\":{\"weight\":0}}                     |422|cpu.weight",
        "PUT   |/v1/apps/web/policy        |{\"cpu\":{\"percent\":150}}                  |422|cpu.percent",
        "PUT   |/v1/apps/web/policy        |{\"bandwidth\":[{\"pipe\":\"lan\",\"booking\":\"1mbit\"}]}|422|bandwidth[0].pipe",
        "PUT   |/v1/apps/web/policy        |{\"bandwidth\":[{\"pipe\":\"wan\",\"booking\":\"200mbit\"}]}|422|bandwidth[0].booking",
        "PATCH |/v1/apps/web/policy        |{\"cpu.wieght\":\"5\"}                       |400|cpu.wieght",
        "PATCH |/v1/apps/web/policy        |{\"cpu.weight\":\"lots\"}                    |400|cpu.weight",
        "PATCH |/v1/apps/web/policy        |{\"cpu.weight\":{\"a\":1}}                   |400|cpu.weight",
        "PATCH |/v1/apps/web/policy        |{}                                           |400|''",
        "PATCH |/v1/apps/web/policy        |{\"cpu.weight\":\"20000\"}                   |422|cpu.weight",
        "PATCH |/v1/apps/web/policy        |{\"bandwidth.wan.burst\":\"10mbit\"}         |422|bandwidth[0].burst",
        "GET   |/v1/apps/web/history       |                                             |400|since",
        "GET   |/v1/apps/web/history?since=yesterday|                                    |400|since",
        "GET   |/v1/apps/web/history?since=2h&step=1m|                                   |400|step",
        "GET   |/v1/apps/web/history?since=2099-01-01T00:00:00Z|                         |400|since",
        "GET   |/v1/apps/web/history?since=400d|                                         |400|since",
        "GET   |/v1/status?verbose=1       |                                             |400|verbose",
    })
    void badRequestsAreRefusedWithTheFieldAndChangeNothing(String method, String path, String body, int status,
                                                           String field) throws Exception {
        Policy webBefore = agent.policy("web");
        Mode modeBefore = agent.status().mode();
        int changesBefore = agent.changes();
        HttpResponse<String> r = call(method, path, body);
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r);
        assertEquals(status, e.get("status").asInt());
        assertEquals(field, e.get("field").asText(), r.body());
        String message = e.get("message").asText();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(field.isEmpty() || message.startsWith(field + ": "), "names the field first: " + message);
        if (status == 405) assertTrue(r.headers().firstValue("Allow").isPresent());
        assertEquals(webBefore, agent.policy("web"));
        assertEquals(modeBefore, agent.status().mode());
        assertEquals(changesBefore, agent.changes());
    }

    @Test
    void aBodyTooLargeIs413AndChangesNothing() throws Exception {
        String big = "{\"priority\":3,\"pad\":\"" + "x".repeat(4000) + "\"}";
        HttpResponse<String> r = call("PUT", "/v1/apps/web/policy", big);
        assertEquals(413, r.statusCode());
        JsonNode e = json(r);
        assertEquals("body", e.get("field").asText());
        assertTrue(e.get("message").asText().startsWith("body: larger than 1024 bytes"), e.toString());
        assertEquals(7, agent.policy("web").priority());
        // the server still serves after closing that connection
        assertEquals(200, call("GET", "/v1/status", null).statusCode());
    }

    @ParameterizedTest
    @CsvSource(value = {"NONE", "Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer"}, nullValues = "NONE")
    void everyEndpointNeedsTheToken(String auth) throws Exception {
        for (String[] c : List.of(new String[] {"GET", "/v1/status", null}, new String[] {"GET", "/v1/apps", null},
                new String[] {"PUT", "/v1/mode", "{\"mode\":\"enforce\"}"},
                new String[] {"DELETE", "/v1/apps/web/policy", null},
                new String[] {"POST", "/v1/config/reload", null}, new String[] {"GET", "/v1/nothing", null})) {
            HttpResponse<String> r = call(c[0], c[1], c[2], auth);
            assertEquals(401, r.statusCode(), c[1]);
            assertEquals("Authorization", json(r).get("field").asText());
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        }
        assertEquals(Mode.MONITOR, agent.status().mode());
        assertEquals(7, agent.policy("web").priority());
        assertEquals(0, agent.changes());
    }

    @Test
    void metricsAreOpenOnLoopbackInPrometheusTextFormat() throws Exception {
        assertTrue(server.metricsOpen());
        call("GET", "/v1/status", null);
        call("GET", "/v1/nothing", null);
        HttpResponse<String> r = call("GET", "/metrics", null, null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String m = r.body();
        assertTrue(m.contains("poolwarden_app_cpu_percent{app=\"web\"} 37.5\n"), m);
        assertTrue(m.contains("poolwarden_app_pipe_bytes_total{app=\"web\",direction=\"egress\",pipe=\"wan\"} 5000000.0\n"), m);
        assertTrue(m.contains("poolwarden_api_requests_total{code=\"200\"} 1.0\n"), m);
        assertTrue(m.contains("poolwarden_api_requests_total{code=\"404\"} 1.0\n"), m);
        assertTrue(m.contains("# TYPE poolwarden_slow_ticks_total counter\n"), m);
        assertEquals(405, call("POST", "/metrics", null, null).statusCode());
    }

    @Test
    void theServerRefusesATokenFileOthersCanRead() throws Exception {
        Path tf = dir.resolve("open.token");
        Files.writeString(tf, "abc\n");
        Files.setPosixFilePermissions(tf, PosixFilePermissions.fromString("rw-r--r--"));
        TokenFile.TokenFileException e = assertThrows(TokenFile.TokenFileException.class, () -> ApiServer.start(agent,
                new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0), tf, 1024), clock, Log.NONE));
        assertTrue(e.getMessage().contains(tf.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    static String raw(InetSocketAddress a, String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket(a.getAddress(), a.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void malformedHttpIsA400JsonAndTheConnectionCloses() throws Exception {
        String r = raw(server.address(), "GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nX-Big: " + "y".repeat(10_000) + "\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertTrue(r.contains("\"error\":\"bad_request\""), r);
        assertTrue(r.contains("connection: close"), r);
        // HTTP/1.0 without keep-alive: answered, then closed (readAllBytes returns)
        r = raw(server.address(), "GET /v1/status HTTP/1.0\r\nAuthorization: Bearer " + token + "\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200 "), r);
        assertTrue(r.contains("\"host\":\"host-a\""), r);
    }

    @Test
    void theNioFallbackServesTheSame() throws Exception {
        try (ApiServer nio = ApiServer.start(agent, new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0),
                dir.resolve("api.token"), 1024), clock, Log.NONE, false)) {
            assertFalse(nio.epoll());
            HttpAgentApi c = new HttpAgentApi(URI.create(nio.url()), token, Duration.ofSeconds(10));
            assertEquals(agent.apps(), c.apps());
            assertEquals(Mode.ENFORCE, c.setMode(Mode.ENFORCE).current());
        }
        assertTrue(server.epoll() || !io.netty.channel.epoll.Epoll.isAvailable(), "epoll is used where it exists");
    }

    @Test
    void aTakenPortIsAOneLineError() {
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ApiServer.start(agent,
                new ApiServer.Config(server.address(), dir.resolve("api.token"), 1024), clock, Log.NONE));
        assertEquals("cannot listen on 127.0.0.1:" + server.address().getPort() + ": Address already in use",
                e.getMessage());
    }

    @Test
    void keepAliveServesManyRequestsOnOneClient() throws Exception {
        for (int i = 0; i < 50; i++) assertEquals(200, call("GET", "/v1/apps", null).statusCode());
        String m = call("GET", "/metrics", null, null).body();
        assertTrue(m.contains("poolwarden_api_requests_total{code=\"200\"} 50.0\n"), m);
    }

    @Test
    void aRejectedPatchKeepsThePolicyThroughTheClientToo() {
        HttpAgentApi c = new HttpAgentApi(URI.create(server.url()), token, Duration.ofSeconds(10));
        PolicyResult r = c.editPolicy("web", Map.of("priority", "0"));
        assertFalse(r.applied());
        assertEquals("priority", r.errors().get(0).field());
        assertEquals(7, agent.policy("web").priority());
        ApiClientException e = assertThrows(ApiClientException.class, () -> c.editPolicy("web", Map.of("x", "1")));
        assertEquals(ApiClientException.Kind.BAD_REQUEST, e.kind());
    }
}
