package org.poolwarden.api;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code /metrics}: the agent's state in Prometheus text exposition format. Everything is read from the port at
 * scrape time (one {@link AgentApi#status()} and one {@link AgentApi#apps()} per scrape), so nothing is kept twice
 * and the hot paths do no metric work. The API server's own request counter is a prometheus-metrics-core Counter.
 * Names: docs/api.md.
 */
public final class ApiMetrics {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    static final Pattern COUNTER_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    /** Names of the metrics below, which a status counter must not shadow. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("poolwarden_api_requests", "poolwarden_enforcing",
            "poolwarden_uptime_seconds", "poolwarden_processes", "poolwarden_alarm");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public ApiMetrics(AgentApi api) {
        requests = Counter.builder().name("poolwarden_api_requests_total")
                .help("HTTP API requests answered, by status code").labelNames("code").register(registry);
        registry.register((MultiCollector) () -> collect(api));
    }

    /** Counts one answered request; called once per request, off the control loop. */
    public void countRequest(int status) {
        requests.labelValues(Integer.toString(status)).inc();
    }

    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException("writing metrics to memory failed", e);
        }
        return out.toByteArray();
    }

    static MetricSnapshots collect(AgentApi api) {
        Status s = api.status();
        List<AppView> apps = api.apps();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(InfoSnapshot.builder().name("poolwarden").help("The agent: host, version and mode")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of("host", s.host(), "version",
                        s.version(), "mode", s.mode().name().toLowerCase(Locale.ROOT))).build()).build());
        out.add(gauge("poolwarden_enforcing", "1 when policies are enforced, 0 in monitor mode",
                List.of(point(Labels.EMPTY, s.mode() == org.poolwarden.config.PoolwardenConfig.Mode.ENFORCE ? 1 : 0))));
        out.add(gauge("poolwarden_uptime_seconds", "Seconds since the agent started",
                List.of(point(Labels.EMPTY, s.uptimeSeconds()))));
        out.add(gauge("poolwarden_processes", "Processes seen in the last scan, by whether an app claims them",
                List.of(point(Labels.of("assigned", "true"), s.processes() - s.unassignedProcesses()),
                        point(Labels.of("assigned", "false"), s.unassignedProcesses()))));
        List<GaugeDataPointSnapshot> alarms = new ArrayList<>();
        for (Alarm a : s.alarms()) alarms.add(point(Labels.of("kind", a.kind(), "resource", a.resource()), 1));
        out.add(gauge("poolwarden_alarm", "1 for each raised alarm", alarms));
        for (Map.Entry<String, Long> c : s.counters().entrySet()) {
            // A name that Prometheus cannot take is skipped rather than failing the whole scrape.
            String name = c.getKey().endsWith("_total") ? c.getKey().substring(0, c.getKey().length() - 6)
                    : c.getKey();
            if (!COUNTER_NAME.matcher(name).matches() || !PrometheusNaming.isValidMetricName("poolwarden_" + name)
                    || RESERVED.contains("poolwarden_" + name) || name.startsWith("app_") || name.startsWith("api_")) {
                continue;
            }
            out.add(counter("poolwarden_" + name, "Agent counter " + name, List.of(cpoint(Labels.EMPTY,
                    c.getValue()))));
        }

        List<GaugeDataPointSnapshot> procs = new ArrayList<>(), cpuPct = new ArrayList<>(), psiAvg = new ArrayList<>(),
                bps = new ArrayList<>();
        List<CounterDataPointSnapshot> cpuSec = new ArrayList<>(), thrSec = new ArrayList<>(),
                thrPer = new ArrayList<>(), psiTotal = new ArrayList<>(), bytes = new ArrayList<>(),
                packets = new ArrayList<>(), drops = new ArrayList<>(), over = new ArrayList<>();
        List<GaugeDataPointSnapshot> managed = new ArrayList<>();
        for (AppView a : apps) {
            managed.add(point(Labels.of("app", a.name()), a.managed() ? 1 : 0));
            procs.add(point(Labels.of("app", a.name()), a.processes()));
            for (AppView.Instance i : a.instances()) {
                Usage u = i.usage();
                if (u == null) continue;
                Labels app = Labels.of("app", a.name());
                cpuPct.add(point(app, u.cpuPercent()));
                cpuSec.add(cpoint(app, u.cpuUsageMicros() / 1e6));
                if (u.throttling() != null) {
                    thrSec.add(cpoint(app, u.throttling().throttledMicros() / 1e6));
                    thrPer.add(cpoint(app, u.throttling().throttledPeriods()));
                }
                if (u.pressure() != null) {
                    Map<String, Usage.Pressure.Line> lines = new LinkedHashMap<>();
                    lines.put("some", u.pressure().some());
                    lines.put("full", u.pressure().full());
                    for (Map.Entry<String, Usage.Pressure.Line> l : lines.entrySet()) {
                        if (l.getValue() == null) continue;
                        psiAvg.add(point(Labels.of("app", a.name(), "kind", l.getKey()), l.getValue().avg10()));
                        psiTotal.add(cpoint(Labels.of("app", a.name(), "kind", l.getKey()),
                                l.getValue().totalMicros() / 1e6));
                    }
                }
                for (Usage.PipeUsage p : u.pipes()) {
                    Labels l = Labels.of("app", a.name(), "pipe", p.pipe(), "direction",
                            p.direction().name().toLowerCase(Locale.ROOT));
                    bytes.add(cpoint(l, p.bytes()));
                    packets.add(cpoint(l, p.packets()));
                    drops.add(cpoint(l, p.drops()));
                    over.add(cpoint(l, p.overlimits()));
                    bps.add(point(l, p.bitsPerSecond()));
                }
            }
        }
        out.add(gauge("poolwarden_app_managed", "1 when the app has a policy, 0 when it is only monitored", managed));
        out.add(gauge("poolwarden_app_processes", "Processes of the app on this host", procs));
        out.add(gauge("poolwarden_app_cpu_percent", "CPU used over the last sample, in percent of the host", cpuPct));
        out.add(counter("poolwarden_app_cpu_usage_seconds", "CPU time used by the app", cpuSec));
        out.add(counter("poolwarden_app_cpu_throttled_seconds", "Time the app's CPU cap held it back", thrSec));
        out.add(counter("poolwarden_app_cpu_throttled_periods", "Scheduler periods in which the cap held the app back",
                thrPer));
        out.add(gauge("poolwarden_app_cpu_pressure_avg10_percent", "CPU pressure (PSI) averaged over 10 s", psiAvg));
        out.add(counter("poolwarden_app_cpu_pressure_stall_seconds", "Cumulative CPU pressure stall time (PSI)",
                psiTotal));
        out.add(counter("poolwarden_app_pipe_bytes", "Bytes of the app on a pipe", bytes));
        out.add(counter("poolwarden_app_pipe_packets", "Packets of the app on a pipe", packets));
        out.add(counter("poolwarden_app_pipe_drops", "Packets of the app dropped by its class", drops));
        out.add(counter("poolwarden_app_pipe_overlimits", "Times the app's class was over its limit", over));
        out.add(gauge("poolwarden_app_pipe_bits_per_second", "The app's rate on a pipe over the last sample", bps));
        return new MetricSnapshots(out);
    }

    private static GaugeSnapshot gauge(String name, String help, List<GaugeDataPointSnapshot> points) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        points.forEach(b::dataPoint);
        return b.build();
    }

    private static CounterSnapshot counter(String name, String help, List<CounterDataPointSnapshot> points) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        points.forEach(b::dataPoint);
        return b.build();
    }

    private static GaugeDataPointSnapshot point(Labels l, double v) {
        return GaugeDataPointSnapshot.builder().labels(l).value(v).build();
    }

    private static CounterDataPointSnapshot cpoint(Labels l, double v) {
        return CounterDataPointSnapshot.builder().labels(l).value(v).build();
    }
}
