package org.poolwarden.agent;

import java.util.ArrayList;
import java.util.Collections;
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
 *
 * <p>Most of 500 apps are idle, so their metrics are the same from tick to tick: a subject whose values and totals
 * did not change keeps its {@link Values} object, and the snapshot map is rebuilt only when some subject changed
 * (the per-tick maps were most of the control thread's garbage).
 */
public final class SampleTap implements Sampler {
    /** The metrics of one subject in the last sample, plus the integrated totals. */
    public record Values(Map<String, Double> last, Map<String, Double> totals) {
        public Double get(String metric) {
            return last.get(metric);
        }
    }

    /** What the tap keeps per subject across ticks (mutable, control thread only). */
    private static final class Subject {
        final String name;
        /** Metric → its last value, and the tick that set it (metrics a tick did not report are dropped). */
        final Map<String, Slot> last = new HashMap<>();
        final Map<String, Double> totals = new HashMap<>();
        int seen;
        long tick = -1;
        boolean changed;
        Values published;

        Subject(String name) {
            this.name = name;
        }
    }

    private static final class Slot {
        double value;
        long tick;
    }

    private final Sampler inner;
    /** Metric → the name of its integrated total, "" when it has none (saves the string replace per sample). */
    private final Map<String, String> totalNames = new HashMap<>();
    private final Map<String, Subject> subjects = new HashMap<>();
    /** The subjects of the current tick, in first-sample order; reused. */
    private final List<Subject> current = new ArrayList<>();
    private final List<Subject> previous = new ArrayList<>();
    private long lastNanos = Long.MIN_VALUE;
    private long ticks;
    private volatile Map<String, Values> latest = Map.of();

    public SampleTap(Sampler inner) {
        this.inner = inner;
    }

    @Override
    public List<Sample> sample(Inventory inventory, long nowNanos) {
        List<Sample> out = inner.sample(inventory, nowNanos);
        double dt = lastNanos == Long.MIN_VALUE ? 0 : (nowNanos - lastNanos) / 1e9;
        lastNanos = nowNanos;
        long tick = ++ticks;
        current.clear();
        for (Sample s : out) {
            Subject sub = subjects.get(s.subject());
            if (sub == null) {
                sub = new Subject(s.subject());
                subjects.put(s.subject(), sub);
            }
            if (sub.tick != tick) {
                sub.tick = tick;
                sub.changed = sub.published == null;
                sub.seen = 0;
                current.add(sub);
            }
            String k = s.metric();
            double v = s.value();
            Slot slot = sub.last.get(k);
            if (slot == null) {
                slot = new Slot();
                slot.value = v;
                sub.last.put(k, slot);
                sub.changed = true;
            } else if (Double.doubleToLongBits(slot.value) != Double.doubleToLongBits(v)) {
                // Double.equals semantics, as the published maps compare: NaN equals NaN, 0.0 differs from -0.0
                slot.value = v;
                sub.changed = true;
            }
            if (slot.tick != tick) {
                slot.tick = tick;
                sub.seen++;
            }
            String total = totalNames.computeIfAbsent(k, SampleTap::totalName);
            if (total.isEmpty()) continue;
            // rate × interval: CPU seconds from cores, bytes from bits per second, packets from packets per second
            double amount = k.endsWith(".bits_per_s") ? v * dt / 8 : v * dt;
            if (amount == 0 && sub.totals.containsKey(total)) continue; // adds nothing: no new Double
            sub.totals.merge(total, amount, Double::sum);
            sub.changed = true;
        }
        boolean rebuild = current.size() != previous.size();
        for (int i = 0; i < current.size(); i++) {
            Subject sub = current.get(i);
            if (sub.seen != sub.last.size()) {
                sub.last.values().removeIf(x -> x.tick != tick);
                sub.changed = true;
            }
            if (sub.changed) {
                Map<String, Double> last = new HashMap<>(sub.last.size() * 2);
                for (Map.Entry<String, Slot> e : sub.last.entrySet()) last.put(e.getKey(), e.getValue().value);
                sub.published = new Values(Map.copyOf(last), Map.copyOf(sub.totals));
                rebuild = true;
            }
            if (!rebuild && previous.get(i) != sub) rebuild = true;
        }
        if (rebuild) {
            Map<String, Values> snap = new HashMap<>(current.size() * 2);
            for (Subject sub : current) snap.put(sub.name, sub.published);
            latest = Collections.unmodifiableMap(snap);
        }
        previous.clear();
        previous.addAll(current);
        return out;
    }

    private static String totalName(String metric) {
        if (metric.equals("cpu.cores")) return "cpu.seconds";
        if (metric.endsWith(".bits_per_s")) return metric.replace(".bits_per_s", ".bytes");
        if (metric.endsWith(".packets_per_s")) return metric.replace(".packets_per_s", ".packets");
        return "";
    }

    /** Subject (app name, "host") → its values in the last sample; empty before the first. */
    public Map<String, Values> latest() {
        return latest;
    }
}
