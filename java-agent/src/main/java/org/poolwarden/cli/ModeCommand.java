package org.poolwarden.cli;

import java.util.Locale;
import org.poolwarden.api.ApiJson;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.ModeChange;
import org.poolwarden.api.ModeView;
import org.poolwarden.config.PoolwardenConfig.Mode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolwarden mode [monitor|enforce]}: shows or switches the running agent's mode. */
@Command(name = "mode", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = {"Show the running agent's mode, or switch it: monitor measures only and removes enforcement;"
                + " enforce applies the policies with cgroups, tc and nftables.",
                "The switch lasts until the next config reload or restart; set mode: in the config to keep it."},
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK, ClientCommand.X_REFUSED,
        ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH, "64:usage error (a mode other than monitor or enforce)"})
public final class ModeCommand extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "monitor|enforce", description = "the mode to switch to")
    String mode;

    @Override
    int run(HttpAgentApi api) throws Exception {
        if (mode == null) {
            Mode m = api.status().mode();
            if (client.json) printJson(new ModeView(m));
            else out.println("mode: " + name(m));
            return EXIT_OK;
        }
        Mode target;
        try {
            target = ApiJson.mode(mode);
        } catch (ApiJson.BadRequest e) {
            return fail(EXIT_USAGE, e.toString());
        }
        ModeChange c = api.setMode(target);
        if (client.json) printJson(c);
        else if (c.changed()) out.println("mode: " + name(c.previous()) + " -> " + name(c.current()));
        else out.println("mode: already " + name(c.current()));
        return EXIT_OK;
    }

    private static String name(Mode m) {
        return m.name().toLowerCase(Locale.ROOT);
    }
}
