package org.poolwarden.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.poolwarden.api.Alarm;
import org.poolwarden.api.AppView;
import org.poolwarden.api.Status;
import org.poolwarden.api.Usage;

/**
 * What {@code poolwarden top} and {@code apps} show, as pure functions of the agent's answers: no I/O, no clock, so
 * each frame is tested on its own. {@link #frame} adds the ANSI codes that redraw the screen in place.
 */
final class TopView {
    static final String HOME = "\033[H";
    static final String CLEAR_LINE = "\033[K";
    static final String CLEAR_BELOW = "\033[J";

    private TopView() {}

    /**
     * One screen: a header, the alarms, then the apps busiest first, cut to {@code width} columns and {@code height}
     * lines (the last line then says how many apps did not fit).
     *
     * @param error shown instead of the apps when the last refresh failed (the view keeps trying); null if none
     */
    static List<String> render(Status s, List<AppView> apps, String error, int width, int height) {
        List<String> lines = new ArrayList<>();
        if (s != null) {
            lines.add("poolwarden top - " + s.host() + " - mode " + s.mode().name().toLowerCase(Locale.ROOT)
                    + " - up " + Human.duration(s.uptimeSeconds()) + " - " + s.runningApps() + "/" + s.apps()
                    + " apps running, " + s.processes() + " processes (" + s.unassignedProcesses() + " unassigned)");
            for (Alarm a : s.alarms()) lines.add("! " + a.message());
        }
        if (error != null) lines.add("! " + error);
        lines.add("");
        if (apps != null) {
            List<AppView> sorted = new ArrayList<>(apps);
            sorted.sort(Comparator.comparingDouble(TopView::cpu).reversed().thenComparing(AppView::name));
            List<String> table = table(sorted, true);
            int room = Math.max(1, height - lines.size() - 2); // the footer keeps its two lines
            if (table.size() > room) {
                int shown = Math.max(0, room - 1);
                int hidden = table.size() - Math.max(shown, 1); // the header is not an app
                lines.addAll(table.subList(0, shown));
                lines.add("… " + hidden + " more apps (enlarge the terminal)");
            } else {
                lines.addAll(table);
            }
        }
        lines.add("");
        lines.add("q or Ctrl-C quits");
        List<String> cut = new ArrayList<>();
        for (String l : lines.subList(0, Math.min(lines.size(), height))) {
            cut.add(l.length() > width ? l.substring(0, Math.max(0, width)) : l);
        }
        return cut;
    }

    /** The ANSI text that replaces the previous frame: home, each line cleared to its end, the rest cleared. */
    static String frame(List<String> lines) {
        StringBuilder b = new StringBuilder(HOME);
        for (String l : lines) b.append(l).append(CLEAR_LINE).append("\r\n");
        return b.append(CLEAR_BELOW).toString();
    }

    /** The apps table (header first); {@code compact} leaves out the pid list. */
    static List<String> table(List<AppView> apps, boolean compact) {
        TreeSet<String> pipes = new TreeSet<>();
        for (AppView a : apps) for (AppView.Instance i : a.instances()) {
            if (i.usage() != null) for (Usage.PipeUsage p : i.usage().pipes()) pipes.add(p.pipe());
        }
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("APP", "PRIO", "PROCS", "CPU", "THROTTLED", "PSI10"));
        for (String p : pipes) {
            head.add(p + " OUT");
            head.add(p + " IN");
        }
        if (!compact) head.add("PIDS");
        rows.add(head.toArray(new String[0]));
        for (AppView a : apps) {
            List<String> r = new ArrayList<>();
            r.add(a.name());
            r.add(a.priority() == null ? "-" : a.priority().toString());
            r.add(Integer.toString(a.processes()));
            Usage u = a.instances().isEmpty() ? null : a.instances().get(0).usage();
            r.add(u == null ? "-" : Human.percent(u.cpuPercent()));
            r.add(u == null || u.throttling() == null || u.throttling().periods() == 0 ? "-"
                    : Human.percent(100.0 * u.throttling().throttledPeriods() / u.throttling().periods()));
            r.add(u == null || u.pressure() == null || u.pressure().some() == null ? "-"
                    : Human.percent(u.pressure().some().avg10()));
            for (String p : pipes) {
                r.add(pipeRate(u, p, Usage.Direction.EGRESS));
                r.add(pipeRate(u, p, Usage.Direction.INGRESS));
            }
            if (!compact) {
                List<Integer> pids = a.instances().stream().flatMap(i -> i.pids().stream()).toList();
                String s = pids.stream().limit(8).map(String::valueOf).reduce((x, y) -> x + "," + y).orElse("-");
                r.add(pids.size() > 8 ? s + ",…" : s);
            }
            rows.add(r.toArray(new String[0]));
        }
        return Human.table(rows);
    }

    private static String pipeRate(Usage u, String pipe, Usage.Direction d) {
        if (u == null) return "-";
        for (Usage.PipeUsage p : u.pipes()) {
            if (p.pipe().equals(pipe) && p.direction() == d) return Human.rate(p.bitsPerSecond());
        }
        return "-";
    }

    private static double cpu(AppView a) {
        return a.instances().stream().filter(i -> i.usage() != null).mapToDouble(i -> i.usage().cpuPercent()).sum();
    }
}
