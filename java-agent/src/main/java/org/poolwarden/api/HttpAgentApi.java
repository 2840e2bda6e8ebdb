package org.poolwarden.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig.Mode;

/**
 * {@link AgentApi} over the HTTP API, for the CLI: the same port on the other side of the socket. Errors keep the
 * port's contract (an unknown app is {@link UnknownAppException}, a refused policy a rejected {@link PolicyResult});
 * everything else is an {@link ApiClientException} with a one-line message.
 */
public final class HttpAgentApi implements AgentApi {
    /** The agent answers from memory; a few seconds means it is stuck or it is not the agent. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final URI base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    public HttpAgentApi(URI base, String token, Duration timeout) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public URI base() {
        return base;
    }

    @Override
    public Status status() {
        return get("/v1/status", type(Status.class));
    }

    @Override
    public List<AppView> apps() {
        return get("/v1/apps", ApiJson.MAPPER.getTypeFactory().constructType(new TypeReference<List<AppView>>() {}));
    }

    @Override
    public AppView app(String name) {
        return get("/v1/apps/" + seg(name), type(AppView.class));
    }

    @Override
    public Policy policy(String app) {
        return this.<AppPolicy>get("/v1/apps/" + seg(app) + "/policy", type(AppPolicy.class)).policy();
    }

    @Override
    public PolicyResult setPolicy(String app, Policy policy) {
        String path = "/v1/apps/" + seg(app) + "/policy";
        return policyCall(app, policy == null ? request(path, "DELETE", null)
                : request(path, "PUT", ApiJson.write(policy)));
    }

    @Override
    public PolicyResult editPolicy(String app, Map<String, String> edits) {
        return policyCall(app, request("/v1/apps/" + seg(app) + "/policy", "PATCH", ApiJson.write(edits)));
    }

    private PolicyResult policyCall(String app, HttpRequest req) {
        Answer a = send(req);
        if (a.status == 200) return a.as(type(PolicyResult.class));
        if (a.status == 422) {
            ApiError e = a.as(type(ApiError.class));
            return PolicyResult.rejected(app, null, e.errors());
        }
        throw a.failure();
    }

    @Override
    public History history(String app, Instant since) {
        return history(app, since.toString());
    }

    /** @param since as the agent takes it: an age ("1h") measured on the agent's clock, or an RFC 3339 time */
    public History history(String app, String since) {
        return get("/v1/apps/" + seg(app) + "/history?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8),
                type(History.class));
    }

    @Override
    public ModeChange setMode(Mode mode) {
        Answer a = send(request("/v1/mode", "PUT", ApiJson.write(Map.of("mode", mode))));
        if (a.status == 200) return a.as(type(ModeChange.class));
        throw a.failure();
    }

    @Override
    public ReloadResult reload() {
        Answer a = send(request("/v1/config/reload", "POST", ""));
        if (a.status == 200 || a.status == 422) return a.as(type(ReloadResult.class));
        throw a.failure();
    }

    /** The raw metrics text. */
    public String metrics() {
        Answer a = send(request("/metrics", "GET", null));
        if (a.status == 200) return a.body;
        throw a.failure();
    }

    private static JavaType type(Class<?> c) {
        return ApiJson.MAPPER.getTypeFactory().constructType(c);
    }

    private static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private <T> T get(String path, JavaType t) {
        Answer a = send(request(path, "GET", null));
        if (a.status == 200) return a.as(t);
        throw a.failure();
    }

    private HttpRequest request(String path, String method, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        if (body == null) return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
        return b.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    private Answer send(HttpRequest req) {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable();
        } catch (HttpTimeoutException e) {
            throw new ApiClientException(ApiClientException.Kind.UNREACHABLE, "the agent at " + base
                    + " did not answer within " + timeout.toSeconds() + " s", null);
        } catch (IOException e) {
            throw new ApiClientException(ApiClientException.Kind.UNREACHABLE, "no answer from " + base + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClientException(ApiClientException.Kind.UNREACHABLE, "interrupted", null);
        }
    }

    private ApiClientException unreachable() {
        return new ApiClientException(ApiClientException.Kind.UNREACHABLE, "no agent answering at " + base
                + " (is it running? start it with: sudo poolwarden agent)", null);
    }

    private final class Answer {
        final int status;
        final String body;

        Answer(int status, String body) {
            this.status = status;
            this.body = body;
        }

        <T> T as(JavaType t) {
            try {
                return ApiJson.MAPPER.readValue(body, t);
            } catch (IOException e) {
                throw new ApiClientException(ApiClientException.Kind.FAILED, base + " answered something that is not"
                        + " poolwarden's API (HTTP " + status + ")", null);
            }
        }

        ApiClientException failure() {
            ApiError e;
            try {
                e = ApiJson.MAPPER.readValue(body, ApiError.class);
            } catch (IOException x) {
                e = null;
            }
            if (e == null || e.message() == null) {
                return new ApiClientException(ApiClientException.Kind.FAILED, base + " answered HTTP " + status
                        + " without an API error (is it poolwarden's API?)", null);
            }
            if (status == 404 && "app".equals(e.field())) {
                // Port contract: an unknown app is an UnknownAppException.
                String m = e.message();
                int q1 = m.indexOf('"'), q2 = m.lastIndexOf('"');
                throw new UnknownAppException(q1 >= 0 && q2 > q1 ? m.substring(q1 + 1, q2) : m);
            }
            ApiClientException.Kind k = switch (status) {
                case 401 -> ApiClientException.Kind.UNAUTHORIZED;
                case 400 -> ApiClientException.Kind.BAD_REQUEST;
                default -> ApiClientException.Kind.FAILED;
            };
            String msg = status == 401 ? "the agent at " + base + " refused the token (wrong token file?)"
                    : e.message();
            return new ApiClientException(k, msg, e);
        }
    }
}
