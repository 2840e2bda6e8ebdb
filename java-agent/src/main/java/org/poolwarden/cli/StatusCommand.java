package org.poolwarden.cli;

import java.util.Locale;
import java.util.Map;
import org.poolwarden.api.Alarm;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.Status;
import picocli.CommandLine.Command;

/** {@code poolwarden status}: the running agent at a glance. */
@Command(name = "status", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = "Show the running agent's mode, uptime, apps, processes, alarms and counters.",
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK, ClientCommand.X_REFUSED,
        ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH, ClientCommand.X_USAGE})
public final class StatusCommand extends ClientCommand {
    @Override
    int run(HttpAgentApi api) throws Exception {
        Status s = api.status();
        if (client.json) {
            printJson(s);
            return EXIT_OK;
        }
        for (String l : lines(s)) out.println(l);
        return EXIT_OK;
    }

    static java.util.List<String> lines(Status s) {
        java.util.List<String> l = new java.util.ArrayList<>();
        l.add("poolwarden agent on " + s.host() + " (version " + s.version() + ")");
        l.add("mode:       " + s.mode().name().toLowerCase(Locale.ROOT) + (s.mode().name().equals("MONITOR")
                ? " (measuring only; nothing is enforced)" : " (policies are enforced)"));
        l.add("uptime:     " + Human.duration(s.uptimeSeconds()) + " (since " + s.started() + ")");
        l.add("apps:       " + s.apps() + " configured, " + s.runningApps() + " running here");
        l.add("processes:  " + s.processes() + " (" + (s.processes() - s.unassignedProcesses()) + " in apps, "
                + s.unassignedProcesses() + " unassigned)");
        if (s.alarms().isEmpty()) {
            l.add("alarms:     none");
        } else {
            l.add("alarms:     " + s.alarms().size());
            for (Alarm a : s.alarms()) l.add("  ! " + a.kind() + " " + a.resource() + " since " + a.since() + ": "
                    + a.message());
        }
        if (!s.counters().isEmpty()) {
            l.add("counters:");
            for (Map.Entry<String, Long> c : s.counters().entrySet()) l.add("  " + c.getKey() + " " + c.getValue());
        }
        return l;
    }
}
