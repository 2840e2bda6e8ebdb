package org.poolwarden.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.api.AppPolicy;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.PolicyEdits;
import org.poolwarden.api.PolicyResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolwarden policy get APP} and {@code poolwarden policy set APP key=value...}. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Show or change an app's policy.",
        subcommands = {PolicyCommand.Get.class, PolicyCommand.Set.class})
public final class PolicyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (get, set)");
    }

    @Command(name = "get", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
            description = "Show an app's policy as the agent runs it.",
            exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK,
            "1:no such app, or the agent failed", ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH,
            ClientCommand.X_USAGE})
    public static final class Get extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP")
        String app;

        @Override
        int run(HttpAgentApi api) throws Exception {
            AppPolicy p = new AppPolicy(app, api.policy(app));
            if (client.json) {
                printJson(p);
                return EXIT_OK;
            }
            for (String l : Human.policy(app, p.policy())) out.println(l);
            return EXIT_OK;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
            description = {"Change an app's policy on the running agent, one key at a time; the agent checks the"
                    + " result and applies all edits or none. The change lasts until the next config reload.",
                    "Keys: priority=1..10, cpu.weight=1..10000, cpu.percent=25%, cpu.cap=50%, cpu=none,"
                            + " bandwidth.PIPE.booking=30mbit|25%, bandwidth.PIPE.burst=100mbit|80%,"
                            + " bandwidth.PIPE=none, policy=none. KEY=none clears a key."},
            exitCodeListHeading = "Exit codes:%n", exitCodeList = {"0:the policy was applied",
            "1:the agent refused it (each error printed; nothing changed), or no such app", ClientCommand.X_NO_AGENT,
            ClientCommand.X_AUTH, "64:usage error (an edit is not key=value, or an unknown key)"})
    public static final class Set extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP")
        String app;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE")
        List<String> edits = new ArrayList<>();

        @Override
        int run(HttpAgentApi api) throws Exception {
            Map<String, String> m = new LinkedHashMap<>();
            for (String e : edits) {
                int eq = e.indexOf('=');
                if (eq <= 0) return fail(EXIT_USAGE, "\"" + e + "\" is not KEY=VALUE (example: cpu.weight=200)");
                m.put(e.substring(0, eq).strip(), e.substring(eq + 1));
            }
            // Checked here too, so a typo is a usage error before anything is sent.
            List<FieldError> shape = PolicyEdits.check(m);
            if (!shape.isEmpty()) return fail(EXIT_USAGE, shape.get(0).toString());
            PolicyResult r = api.editPolicy(app, m);
            if (client.json) printJson(r);
            if (!r.applied()) {
                for (FieldError e : r.errors()) err.println(spec.qualifiedName() + ": " + app + ": " + e);
                return EXIT_REFUSED;
            }
            if (!client.json) {
                out.println(app + ": policy applied");
                for (String l : Human.policy(app, r.policy())) out.println(l);
            }
            return EXIT_OK;
        }
    }
}
