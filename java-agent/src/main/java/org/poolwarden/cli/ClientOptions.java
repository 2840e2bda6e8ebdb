package org.poolwarden.cli;

import java.nio.file.Path;
import org.poolwarden.api.ApiServer;
import org.poolwarden.api.TokenFile;
import picocli.CommandLine.Option;

/** The options every command that talks to a running agent shares. */
public final class ClientOptions {
    @Option(names = "--api", paramLabel = "URL", description = "the agent's API (default: $POOLWARDEN_API, else "
            + ApiServer.DEFAULT_URL + ")")
    String api = System.getenv().getOrDefault("POOLWARDEN_API", ApiServer.DEFAULT_URL);

    @Option(names = "--token-file", paramLabel = "FILE", description = "the API token (default: ${DEFAULT-VALUE};"
            + " readable by root only)")
    Path tokenFile = TokenFile.DEFAULT;

    @Option(names = "--json", description = "print the agent's JSON answer instead of text")
    boolean json;
}
