package org.poolwarden.pool.sim;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the pool benchmarks ({@link AllocatorBench}, {@code pool.share.PoolSimBench}) print their results: one JSON
 * object per run from a result record, CPU-time percentiles, and the file {@code target/bench/NAME.json}
 * (setup, targets, runs, then any further sections). Test code.
 */
public final class BenchJson {

    private BenchJson() {
    }

    /** A number as JSON: doubles with 4 decimals, NaN and infinities as null. */
    public static String num(Object v) {
        if (v instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.4f", d);
        }
        if (v instanceof Boolean || v instanceof Number) {
            return String.valueOf(v);
        }
        return '"' + String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /**
     * One run: every component of {@code result} but {@code params}, then {@code extra} (the parameters worth
     * showing, in order).
     */
    public static String run(Record result, Map<String, ?> extra) {
        StringBuilder sb = new StringBuilder("    {");
        for (RecordComponent c : result.getClass().getRecordComponents()) {
            if (c.getName().equals("params")) {
                continue;
            }
            try {
                java.lang.reflect.Method m = c.getAccessor();
                m.setAccessible(true); // result records are package-private in their benchmark's package
                sb.append('"').append(c.getName()).append("\": ").append(num(m.invoke(result))).append(", ");
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return sb.append(fields(extra)).append('}').toString();
    }

    /** {@code "k": v, ...} without braces. */
    public static String fields(Map<String, ?> m) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ?> e : m.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('"').append(e.getKey()).append("\": ").append(num(e.getValue()));
        }
        return sb.toString();
    }

    /** Ordered map from alternating keys and values. */
    public static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** CPU time per measured round (microseconds): mean and percentiles, next to what was measured. */
    public record Cpu(Map<String, Object> setup, int iterations, double meanMicros, double p50Micros,
                      double p99Micros, double maxMicros) {

        public static Cpu of(Map<String, Object> setup, double[] micros) {
            double[] sorted = micros.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double mean = Arrays.stream(micros).average().orElseThrow();
            return new Cpu(setup, n, mean, sorted[n / 2], sorted[Math.min(n - 1, (int) (n * 0.99))], sorted[n - 1]);
        }

        public String json() {
            return "{" + fields(setup) + (setup.isEmpty() ? "" : ", ") + String.format(Locale.ROOT,
                    "\"iterations\": %d, \"meanMicros\": %.1f, \"p50Micros\": %.1f, \"p99Micros\": %.1f, "
                            + "\"maxMicros\": %.1f}", iterations, meanMicros, p50Micros, p99Micros, maxMicros);
        }
    }

    /**
     * Writes {@code target/bench/NAME.json}: setup, targets, the runs, then {@code sections} (name to JSON value),
     * and prints it.
     */
    public static String write(String name, String setup, Map<String, ?> targets, List<String> runs,
                               Map<String, ?> sections) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"setup\": ").append(num(setup)).append(",\n");
        sb.append("  \"targets\": {").append(fields(targets)).append("},\n");
        sb.append("  \"runs\": [\n").append(String.join(",\n", runs)).append("\n  ]");
        for (Map.Entry<String, ?> e : sections.entrySet()) {
            sb.append(",\n  \"").append(e.getKey()).append("\": ").append(e.getValue());
        }
        sb.append("\n}\n");
        Path out = Path.of("target", "bench", name + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString());
        System.out.println(sb);
        return sb.toString();
    }
}
