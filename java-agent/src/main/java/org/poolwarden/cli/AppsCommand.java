package org.poolwarden.cli;

import java.util.List;
import org.poolwarden.api.AppView;
import org.poolwarden.api.HttpAgentApi;
import picocli.CommandLine.Command;

/** {@code poolwarden apps}: every configured app with its processes and live usage. */
@Command(name = "apps", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = "List the apps with their processes, CPU, throttling, pressure and traffic per pipe.",
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK, ClientCommand.X_REFUSED,
        ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH, ClientCommand.X_USAGE})
public final class AppsCommand extends ClientCommand {
    @Override
    int run(HttpAgentApi api) throws Exception {
        List<AppView> apps = api.apps();
        if (client.json) {
            printJson(apps);
            return EXIT_OK;
        }
        if (apps.isEmpty()) {
            out.println("no apps configured");
            return EXIT_OK;
        }
        // Same columns as top, in config order and without truncation.
        for (String l : TopView.table(apps, false)) out.println(l);
        return EXIT_OK;
    }
}
