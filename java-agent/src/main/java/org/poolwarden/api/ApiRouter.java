package org.poolwarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.Policy;
import org.poolwarden.log.Log;

/**
 * The HTTP API without the HTTP: a request in, a response out. Every route, the token check and every error answer
 * live here, so they are tested without sockets; {@link ApiServer} only moves bytes.
 *
 * <p>Status codes: 400 the request cannot be read into its shape (malformed JSON, unknown field, wrong type, bad
 * query, unknown policy key); 401 no or a wrong token; 404 unknown path or app; 405 wrong method (with Allow);
 * 413 body too large; 422 well-formed but refused (a value out of range, an unknown pipe, an invalid config on
 * reload); 500 a fault of the agent. A request that gets an error changes nothing.
 */
public final class ApiRouter {
    public static final String JSON = "application/json; charset=utf-8";

    public record Request(String method, String uri, String authorization, byte[] body) {
        public Request {
            body = body == null ? new byte[0] : body;
        }
    }

    public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        public Response {
            headers = Map.copyOf(headers);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final AgentApi api;
    private final byte[] token;
    private final boolean metricsOpen;
    private final Clock clock;
    private final ApiMetrics metrics;
    private final Log log;

    /**
     * @param metricsOpen true: {@code /metrics} answers without the token (only when the server is bound to loopback,
     *                    where only local users can reach it)
     */
    public ApiRouter(AgentApi api, String token, boolean metricsOpen, Clock clock, Log log) {
        this.api = api;
        this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.metricsOpen = metricsOpen;
        this.clock = clock;
        this.metrics = new ApiMetrics(api);
        this.log = log;
    }

    public Response handle(Request r) {
        Response resp;
        try {
            resp = route(r);
        } catch (UnknownAppException e) {
            resp = error(ApiError.of(404, "not_found", "app", e.getMessage()));
        } catch (RuntimeException e) {
            // A fault of the agent, not of the request: say so in one line and keep serving.
            log.error("api request failed", "method", r.method(), "path", path(r.uri()), "error", e.toString());
            resp = error(ApiError.of(500, "internal", "", "internal error: " + e));
        }
        metrics.countRequest(resp.status());
        return resp;
    }

    /** For the server's own answers (413, 400 on undecodable HTTP) so they are counted and shaped the same. */
    public Response reject(ApiError e) {
        metrics.countRequest(e.status());
        return error(e);
    }

    private Response route(Request r) {
        QueryStringDecoder q = new QueryStringDecoder(r.uri());
        String path = q.path();
        if (path.equals("/metrics")) {
            if (!metricsOpen && !authorized(r)) return unauthorized();
            if (!r.method().equals("GET")) return notAllowed(r, "GET");
            return new Response(200, ApiMetrics.CONTENT_TYPE, metrics.scrape(), Map.of());
        }
        if (!authorized(r)) return unauthorized();
        String[] seg = path.split("/", -1);
        // seg[0] is "" (the path starts with '/')
        if (seg.length < 3 || !seg[1].equals("v1")) return notFound(path);
        String m = r.method();
        try {
            switch (seg[2]) {
                case "status" -> {
                    if (seg.length != 3) return notFound(path);
                    if (!m.equals("GET")) return notAllowed(r, "GET");
                    noQuery(q);
                    return ok(api.status());
                }
                case "mode" -> {
                    if (seg.length != 3) return notFound(path);
                    noQuery(q);
                    if (m.equals("GET")) return ok(new ModeView(api.status().mode()));
                    if (m.equals("PUT")) return ok(api.setMode(ApiJson.parseMode(ApiJson.readBody(r.body()))));
                    return notAllowed(r, "GET, PUT");
                }
                case "config" -> {
                    if (seg.length != 4 || !seg[3].equals("reload")) return notFound(path);
                    if (!m.equals("POST")) return notAllowed(r, "POST");
                    noQuery(q);
                    ReloadResult rr = api.reload();
                    if (rr.applied()) return ok(rr);
                    return json(422, rr);
                }
                case "apps" -> {
                    return apps(r, q, seg, path);
                }
                default -> {
                    return notFound(path);
                }
            }
        } catch (ApiJson.BadRequest e) {
            return error(ApiError.of(400, "bad_request", e.field(), e.getMessage()));
        }
    }

    private Response apps(Request r, QueryStringDecoder q, String[] seg, String path) throws ApiJson.BadRequest {
        String m = r.method();
        if (seg.length == 3) {
            if (!m.equals("GET")) return notAllowed(r, "GET");
            noQuery(q);
            return ok(api.apps());
        }
        String app = seg[3];
        if (app.isEmpty()) return notFound(path);
        // No configured app has another name; refusing here keeps control characters out of answers and logs.
        if (!PolicyValidator.NAME.matcher(app).matches()) throw new UnknownAppException(printable(app));
        if (seg.length == 4) {
            if (!m.equals("GET")) return notAllowed(r, "GET");
            noQuery(q);
            return ok(api.app(app));
        }
        if (seg.length != 5) return notFound(path);
        switch (seg[4]) {
            case "policy" -> {
                noQuery(q);
                switch (m) {
                    case "GET" -> {
                        return ok(new AppPolicy(app, api.policy(app)));
                    }
                    case "PUT" -> {
                        Policy p = ApiJson.parsePolicy(ApiJson.readBody(r.body()));
                        return policyResult(api.setPolicy(app, p));
                    }
                    case "PATCH" -> {
                        Map<String, String> edits = ApiJson.parseEdits(ApiJson.readBody(r.body()));
                        List<FieldError> shape = PolicyEdits.check(edits);
                        if (!shape.isEmpty()) return error(ApiError.of(400, "bad_request", shape));
                        return policyResult(api.editPolicy(app, edits));
                    }
                    case "DELETE" -> {
                        return policyResult(api.setPolicy(app, null));
                    }
                    default -> {
                        return notAllowed(r, "GET, PUT, PATCH, DELETE");
                    }
                }
            }
            case "history" -> {
                if (!m.equals("GET")) return notAllowed(r, "GET");
                for (String k : q.parameters().keySet()) {
                    if (!k.equals("since")) throw new ApiJson.BadRequest(k, "unknown query parameter (allowed: since)");
                }
                List<String> s = q.parameters().get("since");
                if (s == null || s.size() != 1) {
                    throw new ApiJson.BadRequest("since", "give it once: an age like 1h or a time like"
                            + " 2026-01-31T12:00:00Z");
                }
                Instant since;
                try {
                    since = Since.parse(s.get(0), clock.instant());
                } catch (IllegalArgumentException e) {
                    throw new ApiJson.BadRequest("since", e.getMessage());
                }
                api.app(app); // 404 before the store is asked
                return ok(api.history(app, since));
            }
            default -> {
                return notFound(path);
            }
        }
    }

    private Response policyResult(PolicyResult pr) {
        if (pr.applied()) return ok(pr);
        ApiError e = ApiError.of(422, "unprocessable", pr.errors());
        return json(422, e);
    }

    private static void noQuery(QueryStringDecoder q) throws ApiJson.BadRequest {
        if (!q.parameters().isEmpty()) {
            throw new ApiJson.BadRequest(q.parameters().keySet().iterator().next(), "unknown query parameter");
        }
    }

    private boolean authorized(Request r) {
        return r.authorization() != null
                && MessageDigest.isEqual(token, r.authorization().strip().getBytes(StandardCharsets.UTF_8));
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.length() < s.length() ? b + "…" : b.toString();
    }

    private static String path(String uri) {
        int i = uri.indexOf('?');
        return i < 0 ? uri : uri.substring(0, i);
    }

    private static Response ok(Object answer) {
        return json(200, answer);
    }

    private static Response json(int status, Object answer) {
        return new Response(status, JSON, (ApiJson.write(answer) + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static Response error(ApiError e) {
        Map<String, String> h = e.status() == 401 ? Map.of("WWW-Authenticate", "Bearer realm=\"poolwarden\"")
                : Map.of();
        return new Response(e.status(), JSON, (ApiJson.write(e) + "\n").getBytes(StandardCharsets.UTF_8), h);
    }

    private static Response unauthorized() {
        return error(ApiError.of(401, "unauthorized", "Authorization", "missing or wrong bearer token (it is in the"
                + " agent's API token file, by default " + TokenFile.DEFAULT + ")"));
    }

    private static Response notFound(String path) {
        return error(ApiError.of(404, "not_found", "path", "no such endpoint " + path + " (see docs/api.md)"));
    }

    private static Response notAllowed(Request r, String allow) {
        ApiError e = ApiError.of(405, "method_not_allowed", "method", r.method() + " is not allowed on "
                + path(r.uri()) + " (allowed: " + allow + ")");
        return new Response(405, JSON, (ApiJson.write(e) + "\n").getBytes(StandardCharsets.UTF_8),
                Map.of("Allow", allow));
    }
}
