package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.log.Log;

/** Routing without sockets: what the server cannot show on loopback alone. */
class ApiRouterTest {
    final ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
    final FakeAgentApi agent = ApiFixture.agent(clock);

    static ApiRouter.Request get(String uri, String auth) {
        return new ApiRouter.Request("GET", uri, auth, null);
    }

    @Test
    void offLoopbackMetricsNeedTheToken() {
        ApiRouter r = new ApiRouter(agent, "t0k", false, clock, Log.NONE);
        assertEquals(401, r.handle(get("/metrics", null)).status());
        assertEquals(401, r.handle(get("/metrics", "Bearer nope")).status());
        ApiRouter.Response ok = r.handle(get("/metrics", "Bearer t0k"));
        assertEquals(200, ok.status());
        assertTrue(ok.text().contains("poolwarden_info{host=\"host-a\",mode=\"monitor\",version=\"test\"} 1\n"),
                ok.text());
    }

    @Test
    void aFaultOfTheAgentIs500OneLineAndLogged() {
        AgentApi broken = new FakeAgentApi("h", FakeAgentApi.config(ApiFixture.CONFIG), clock);
        AgentApi failing = (AgentApi) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {AgentApi.class}, (p, m, a) -> {
                    if (m.getName().equals("status")) throw new IllegalStateException("store closed");
                    try {
                        return m.invoke(broken, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        Log log = new Log(new PrintStream(logged, true, StandardCharsets.UTF_8), Log.Format.LOGFMT, Log.Level.INFO,
                true, clock);
        ApiRouter r = new ApiRouter(failing, "t", true, clock, log);
        ApiRouter.Response resp = r.handle(get("/v1/status", "Bearer t"));
        assertEquals(500, resp.status());
        assertTrue(resp.text().contains("\"message\":\"internal error: java.lang.IllegalStateException: store closed\""),
                resp.text());
        assertEquals("<3>level=error msg=\"api request failed\" method=GET path=/v1/status"
                + " error=\"java.lang.IllegalStateException: store closed\"\n", logged.toString(StandardCharsets.UTF_8));
        // other endpoints still work
        assertEquals(200, r.handle(get("/v1/apps", "Bearer t")).status());
    }

    @Test
    void metricsCoverEveryAppAndSkipCounterNamesPrometheusCannotTake() {
        agent.counter("Bad-Name", 1).counter("app_processes", 5).counter("config_reloads_total", 4);
        agent.setMode(Mode.ENFORCE);
        String m = new ApiRouter(agent, "t", true, clock, Log.NONE).handle(get("/metrics", null)).text();
        assertTrue(m.contains("poolwarden_enforcing 1.0\n"), m);
        assertTrue(m.contains("poolwarden_config_reloads_total 4.0\n"), m);
        assertTrue(m.contains("poolwarden_app_processes{app=\"batch\"} 1.0\n"), m);
        assertTrue(m.contains("poolwarden_app_processes{app=\"web\"} 3.0\n"), m);
        assertTrue(!m.contains("Bad") && !m.contains("poolwarden_app_processes_total"), m);
        assertTrue(m.contains("poolwarden_app_cpu_throttled_seconds_total{app=\"web\"} 0.34\n"), m);
        assertTrue(m.contains("poolwarden_app_cpu_pressure_avg10_percent{app=\"web\",kind=\"some\"} 2.5\n"), m);
        assertTrue(m.contains("poolwarden_alarm{kind=\"insufficient_resources\",resource=\"cpu\"} 1.0\n"), m);
        assertTrue(m.contains("poolwarden_uptime_seconds 3725.0\n"), m);
        // every sample line is NAME{labels} VALUE
        for (String line : m.split("\n")) {
            if (line.startsWith("#")) continue;
            assertTrue(line.matches("[a-z_][a-z0-9_]*(\\{[^}]*\\})? -?[0-9.E]+"), line);
        }
    }

    @Test
    void historyOfAnUnknownAppIs404EvenWithAGoodSince() {
        ApiRouter.Response r = new ApiRouter(agent, "t", true, clock, Log.NONE)
                .handle(get("/v1/apps/nope/history?since=1h", "Bearer t"));
        assertEquals(404, r.status());
        assertTrue(r.text().contains("\"field\":\"app\""), r.text());
    }
}
