package org.poolwarden.cli;

import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.ReloadResult;
import org.poolwarden.config.ConfigError;
import picocli.CommandLine.Command;

/** {@code poolwarden reload}: the agent reads its config again (as on SIGHUP), all or nothing. */
@Command(name = "reload", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = "Make the running agent read its config again. An invalid config is refused with every error"
                + " (file:line:col: field: message) and the running config stays.",
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {"0:the new config is running",
        "1:the new config is invalid (errors printed) and the running one stays, or the agent failed",
        ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH, ClientCommand.X_USAGE})
public final class ReloadCommand extends ClientCommand {
    @Override
    int run(HttpAgentApi api) throws Exception {
        ReloadResult r = api.reload();
        if (client.json) printJson(r);
        if (!r.applied()) {
            for (ConfigError e : r.errors()) err.println(e);
            return fail(EXIT_REFUSED, "config rejected (" + r.errors().size() + (r.errors().size() == 1 ? " error"
                    : " errors") + "); the running config stays");
        }
        if (!client.json) out.println("config reloaded from " + r.source() + " (" + r.apps() + " apps)");
        return EXIT_OK;
    }
}
