package org.poolwarden.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.poolwarden.api.ApiServer;
import org.poolwarden.api.TokenFile;
import org.poolwarden.log.Log;
import picocli.CommandLine.Option;

/**
 * The {@code agent} command's options for its outside interfaces (API address, token file, logging), as a picocli
 * mixin: {@code @Mixin AgentApiOptions api;} then {@code ApiServer.start(port, api.apiConfig(), clock, api.log())}.
 */
public final class AgentApiOptions {
    @Option(names = "--api-listen", paramLabel = "HOST:PORT", description = "where the HTTP API listens (default:"
            + " ${DEFAULT-VALUE}; any other than loopback also puts /metrics behind the token)")
    String listen = ApiServer.DEFAULT_HOST + ":" + ApiServer.DEFAULT_PORT;

    @Option(names = "--api-token-file", paramLabel = "FILE", description = "the API's bearer token (default:"
            + " ${DEFAULT-VALUE}); created with mode 0600 when missing, refused when group or others can read it")
    Path tokenFile = TokenFile.DEFAULT;

    @Option(names = "--log-format", paramLabel = "logfmt|json", description = "log line format on stderr (default:"
            + " ${DEFAULT-VALUE}); no timestamps under the systemd journal, which adds its own")
    String logFormat = "logfmt";

    @Option(names = "--log-level", paramLabel = "debug|info|warn|error", description = "default: ${DEFAULT-VALUE}")
    String logLevel = "info";

    /** @throws IllegalArgumentException naming the option */
    public ApiServer.Config apiConfig() {
        try {
            return new ApiServer.Config(ApiServer.parseListen(listen), tokenFile, ApiServer.DEFAULT_MAX_BODY_BYTES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--api-listen: " + e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException naming the option */
    public Log log() {
        Log.Level level;
        try {
            level = Log.Level.valueOf(logLevel.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--log-level: expected debug, info, warn or error, found \"" + logLevel
                    + "\"", e);
        }
        return Log.stderr(Log.format(logFormat), level, System.getenv());
    }
}
