package org.poolwarden.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.Callable;
import org.poolwarden.api.ApiClientException;
import org.poolwarden.api.ApiJson;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.TokenFile;
import org.poolwarden.api.UnknownAppException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the running agent through its HTTP API. Errors are one line on stderr, prefixed with the
 * command ({@code poolwarden status: no agent answering at ...}), and map to the exit codes below.
 */
abstract class ClientCommand implements Callable<Integer> {
    static final int EXIT_OK = 0;
    /** The agent refused the request (invalid policy or config, unknown app) or failed. */
    static final int EXIT_REFUSED = 1;
    /** No agent answered (not running, wrong --api). Like systemctl's "not running". */
    static final int EXIT_NO_AGENT = 3;
    /** The token file is missing or unreadable, or the agent refused the token. */
    static final int EXIT_AUTH = 4;
    /** sysexits.h EX_USAGE: the command line (or what it asks for) is malformed. */
    static final int EXIT_USAGE = 64;

    // For the commands' exitCodeList (annotation values must be constants).
    static final String X_OK = "0:success";
    static final String X_REFUSED = "1:the agent refused the request or failed";
    static final String X_NO_AGENT = "3:no agent answering at the API address";
    static final String X_AUTH = "4:the API token file is unreadable, or the agent refused the token";
    static final String X_USAGE = "64:usage error";

    @Mixin
    ClientOptions client;

    @Spec
    CommandSpec spec;

    PrintWriter out;
    PrintWriter err;

    /** Runs the command against the agent; returns the exit code. */
    abstract int run(HttpAgentApi api) throws Exception;

    @Override
    public final Integer call() throws Exception {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            URI uri;
            try {
                uri = new URI(client.api);
            } catch (URISyntaxException e) {
                return fail(EXIT_USAGE, "--api: \"" + client.api + "\" is not a URL (example: http://127.0.0.1:7474)");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                return fail(EXIT_USAGE, "--api: \"" + client.api + "\" is not an http:// URL with a host");
            }
            String token;
            try {
                token = TokenFile.read(client.tokenFile);
            } catch (TokenFile.TokenFileException e) {
                // Without a token the agent cannot be asked anything; but "not running" is the likelier and more
                // useful answer when nothing listens at all.
                try {
                    new HttpAgentApi(uri, "-", HttpAgentApi.DEFAULT_TIMEOUT).status();
                } catch (ApiClientException x) {
                    if (x.kind() == ApiClientException.Kind.UNREACHABLE) return fail(EXIT_NO_AGENT, x.getMessage());
                }
                return fail(EXIT_AUTH, e.getMessage());
            }
            return run(new HttpAgentApi(uri, token, HttpAgentApi.DEFAULT_TIMEOUT));
        } catch (ApiClientException e) {
            return fail(switch (e.kind()) {
                case UNREACHABLE -> EXIT_NO_AGENT;
                case UNAUTHORIZED -> EXIT_AUTH;
                case BAD_REQUEST -> EXIT_USAGE;
                case FAILED -> EXIT_REFUSED;
            }, e.getMessage());
        } catch (UnknownAppException e) {
            return fail(EXIT_REFUSED, e.getMessage());
        } finally {
            out.flush();
            err.flush();
        }
    }

    int fail(int code, String message) {
        err.println(spec.qualifiedName() + ": " + message.replace('\n', ' '));
        return code;
    }

    void printJson(Object answer) throws JsonProcessingException {
        out.println(ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
    }
}
