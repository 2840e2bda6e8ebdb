package org.poolwarden.agent;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.detect.Inventory;
import org.poolwarden.store.Sample;

/**
 * Wraps the agent's {@link Sampler} and keeps the last tick's samples, by subject and metric, for the API's live
 * views (the store keeps the history). Cumulative values that the sampler reports only as rates (CPU time, bytes)
 * are integrated here over the sample intervals. Called on the control thread; {@link #latest()} is an immutable
 * snapshot safe to read from any thread.
 */
public final class SampleTap implements Sampler {
    /** The metrics of one subject in the last sample, plus the integrated totals. */
    public record Values(Map<String, Double> last, Map<String, Double> totals) {
        public Double get(String metric) {
            return last.get(metric);
        }
    }

    private final Sampler inner;
    private final Map<String, Map<String, Double>> totals = new HashMap<>();
    private long lastNanos = Long.MIN_VALUE;
    private volatile Map<String, Values> latest = Map.of();

    public SampleTap(Sampler inner) {
        this.inner = inner;
    }

    @Override
    public List<Sample> sample(Inventory inventory, long nowNanos) {
        List<Sample> out = inner.sample(inventory, nowNanos);
        double dt = lastNanos == Long.MIN_VALUE ? 0 : (nowNanos - lastNanos) / 1e9;
        lastNanos = nowNanos;
        Map<String, Map<String, Double>> bySubject = new HashMap<>();
        for (Sample s : out) bySubject.computeIfAbsent(s.subject(), k -> new HashMap<>()).put(s.metric(), s.value());
        for (Map.Entry<String, Map<String, Double>> e : bySubject.entrySet()) {
            Map<String, Double> t = totals.computeIfAbsent(e.getKey(), k -> new HashMap<>());
            for (Map.Entry<String, Double> m : e.getValue().entrySet()) {
                String k = m.getKey();
                // rate × interval: CPU seconds from cores, bytes from bits per second, packets from packets per second
                if (k.equals("cpu.cores")) t.merge("cpu.seconds", m.getValue() * dt, Double::sum);
                else if (k.endsWith(".bits_per_s")) t.merge(k.replace(".bits_per_s", ".bytes"), m.getValue() * dt / 8,
                        Double::sum);
                else if (k.endsWith(".packets_per_s")) t.merge(k.replace(".packets_per_s", ".packets"),
                        m.getValue() * dt, Double::sum);
            }
        }
        Map<String, Values> snap = new HashMap<>();
        for (Map.Entry<String, Map<String, Double>> e : bySubject.entrySet()) {
            snap.put(e.getKey(), new Values(Map.copyOf(e.getValue()),
                    Map.copyOf(totals.getOrDefault(e.getKey(), Map.of()))));
        }
        latest = Map.copyOf(snap);
        return out;
    }

    /** Subject (app name, "host") → its values in the last sample; empty before the first. */
    public Map<String, Values> latest() {
        return latest;
    }
}
