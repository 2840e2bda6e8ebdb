package org.poolwarden.cli;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.poolwarden.api.History;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.Usage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code poolwarden history APP --since 1h}: an app's samples from the agent's store. */
@Command(name = "history", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = "Show an app's CPU and traffic history from the agent's store (raw samples for the last hour,"
                + " then 1-minute, then 1-hour averages).",
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK,
        "1:no such app, or the agent failed", ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH,
        "64:usage error (e.g. --since not an age or time)"})
public final class HistoryCommand extends ClientCommand {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(names = "--since", paramLabel = "AGE|TIME", defaultValue = "1h",
            description = "an age (90s, 15m, 1h30m, 7d, 2w) or an RFC 3339 time; default ${DEFAULT-VALUE}")
    String since;

    @Override
    int run(HttpAgentApi api) throws Exception {
        History h = api.history(app, since);
        if (client.json) {
            printJson(h);
            return EXIT_OK;
        }
        for (String l : lines(h)) out.println(l);
        return EXIT_OK;
    }

    static List<String> lines(History h) {
        List<String> out = new ArrayList<>();
        out.add(h.app() + ": " + h.samples().size() + " samples from " + TIME.format(h.since()) + " to "
                + TIME.format(h.until()) + " (every " + Human.duration(h.resolutionSeconds()) + ")");
        if (h.samples().isEmpty()) return out;
        TreeSet<String> cols = new TreeSet<>();
        for (History.Sample s : h.samples()) for (History.PipeRate p : s.pipes()) cols.add(col(p));
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("TIME", "CPU", "THROTTLED"));
        head.addAll(cols);
        rows.add(head.toArray(new String[0]));
        for (History.Sample s : h.samples()) {
            List<String> r = new ArrayList<>();
            r.add(TIME.format(s.at()));
            r.add(Human.percent(s.cpuPercent()));
            r.add(s.throttledMicros() == null ? "-" : s.throttledMicros() / 1000 + " ms");
            for (String c : cols) {
                r.add(s.pipes().stream().filter(p -> col(p).equals(c)).findFirst()
                        .map(p -> Human.rate(p.bitsPerSecond())).orElse("-"));
            }
            rows.add(r.toArray(new String[0]));
        }
        out.addAll(Human.table(rows));
        return out;
    }

    private static String col(History.PipeRate p) {
        return p.pipe() + (p.direction() == Usage.Direction.EGRESS ? " OUT" : " IN");
    }
}
