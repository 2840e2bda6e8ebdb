package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.log.Log;

/**
 * The API with the benchmark size, 500 apps (two pipes each, ten processes each): latency of status, apps
 * and /metrics over one keep-alive connection on loopback, and the size of the answers. Writes
 * target/bench/api.json. Run: {@code mvn -Pbench verify -pl java-agent -am -Dtest=ApiBench
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
class ApiBench {
    static final int APPS = 500;

    @TempDir
    Path dir;

    static String config() {
        StringBuilder b = new StringBuilder("pipes:\n  - name: wan\n    interface: eth0\n    capacity: 10gbit\n"
                + "  - name: lan\n    interface: eth1\n    capacity: 10gbit\napps:\n");
        for (int i = 0; i < APPS; i++) {
            b.append("  - name: app").append(i).append("\n    processRules:\n      - name: p").append(i).append('\n');
            if (i % 2 == 0) {
                b.append("    policy:\n      priority: ").append(1 + i % 10).append("\n      cpu:\n        weight: ")
                        .append(1 + i).append("\n      bandwidth:\n        - pipe: wan\n          booking: 10mbit\n");
            }
        }
        return b.toString();
    }

    @Test
    void latencyAndSizeWith500Apps() throws Exception {
        ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
        FakeAgentApi agent = new FakeAgentApi("bench", FakeAgentApi.config(config()), clock);
        for (int i = 0; i < APPS; i++) {
            List<Integer> pids = new java.util.ArrayList<>();
            for (int p = 0; p < 10; p++) pids.add(10_000 + i * 10 + p);
            agent.instance("app" + i, pids, new Usage(0.1 * (i % 100), 1_000_000L * i,
                    new Usage.Throttling(1000, i % 7, 1000L * i), new Usage.Pressure(
                    new Usage.Pressure.Line(1, 2, 3, 4), new Usage.Pressure.Line(0.5, 1, 1.5, 2)),
                    List.of(new Usage.PipeUsage("wan", Usage.Direction.EGRESS, i, i, i, 0, 0),
                            new Usage.PipeUsage("wan", Usage.Direction.INGRESS, i, i, i, 0, 0),
                            new Usage.PipeUsage("lan", Usage.Direction.EGRESS, i, i, i, 0, 0),
                            new Usage.PipeUsage("lan", Usage.Direction.INGRESS, i, i, i, 0, 0))));
        }
        Path tf = dir.resolve("t");
        Map<String, Object> results = new LinkedHashMap<>();
        try (ApiServer server = ApiServer.start(agent, new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0), tf,
                ApiServer.DEFAULT_MAX_BODY_BYTES), clock, Log.NONE)) {
            String token = Files.readString(tf).strip();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            results.put("app_count", APPS);
            results.put("processes", APPS * 10);
            results.put("transport", server.epoll() ? "epoll" : "nio");
            for (String[] ep : List.of(new String[] {"status", "/v1/status", "2000"},
                    new String[] {"apps", "/v1/apps", "200"}, new String[] {"metrics", "/metrics", "200"},
                    new String[] {"app", "/v1/apps/app250", "2000"})) {
                HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + ep[1]))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build();
                int n = Integer.parseInt(ep[2]);
                int warm = n / 4;
                long[] ns = new long[n];
                int bytes = 0;
                for (int i = 0; i < warm + n; i++) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                    long t = System.nanoTime() - t0;
                    assertEquals(200, r.statusCode());
                    if (i >= warm) ns[i - warm] = t;
                    bytes = r.body().length();
                }
                Arrays.sort(ns);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("requests", n);
                m.put("p50_ms", ns[n / 2] / 1e6);
                m.put("p99_ms", ns[(int) (n * 0.99)] / 1e6);
                m.put("max_ms", ns[n - 1] / 1e6);
                m.put("answer_bytes", bytes);
                results.put(ep[0], m);
            }
        }
        Path out = Path.of("target", "bench", "api.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
        System.out.println(Files.readString(out));
        // Targets: a scrape of 500 apps well inside a 1 s scrape budget; small answers under 10 ms at p99.
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = (Map<String, Object>) results.get("metrics");
        assertTrue((double) metrics.get("p99_ms") < 500, results.toString());
    }
}
