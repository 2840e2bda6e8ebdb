package org.poolwarden.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;
import org.poolwarden.config.Rates;

/**
 * {@code key=value} edits of a policy, as {@code poolwarden policy set APP key=value...} and {@code PATCH
 * /v1/apps/APP/policy} take them. Keys:
 * <pre>
 * priority=1..10
 * cpu.weight=1..10000        (clears cpu.percent: they are alternatives)
 * cpu.percent=25 | 25%       (clears cpu.weight)
 * cpu.cap=50 | 50%
 * cpu=none                   (CPU not managed)
 * bandwidth.PIPE.booking=30mbit | 25%
 * bandwidth.PIPE.burst=100mbit | 80%
 * bandwidth.PIPE=none        (no entry for that pipe)
 * policy=none                (the app is only monitored)
 * </pre>
 * {@code none} also clears a single key ({@code cpu.cap=none}). Parsing says only whether each edit is well-formed;
 * ranges and pipes are checked by {@link PolicyValidator} on the result.
 */
public final class PolicyEdits {
    public static final String NONE = "none";
    public static final List<String> KEYS = List.of("priority", "cpu.weight", "cpu.percent", "cpu.cap", "cpu",
            "bandwidth.PIPE.booking", "bandwidth.PIPE.burst", "bandwidth.PIPE", "policy");

    private PolicyEdits() {}

    /** @param policy the edited policy (null: monitor only); meaningful only when errors is empty */
    public record Result(Policy policy, List<FieldError> errors) {
        public Result {
            errors = List.copyOf(errors);
        }
    }

    /** Checks that every edit is well-formed, without a policy to apply it to. */
    public static List<FieldError> check(Map<String, String> edits) {
        return apply(null, edits).errors();
    }

    /** Applies the edits in order to {@code base} (null: start from an empty policy of the default priority). */
    public static Result apply(Policy base, Map<String, String> edits) {
        List<FieldError> errors = new ArrayList<>();
        if (edits.isEmpty()) errors.add(new FieldError("", "give at least one key=value edit"));
        boolean none = base == null;
        int priority = base == null ? Policy.DEFAULT_PRIORITY : base.priority();
        CpuPolicy cpu = base == null ? null : base.cpu();
        Map<String, BandwidthPolicy> bw = new LinkedHashMap<>();
        if (base != null) for (BandwidthPolicy b : base.bandwidth()) bw.put(b.pipe(), b);
        for (Map.Entry<String, String> e : edits.entrySet()) {
            String key = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue().strip();
            boolean clear = value.equalsIgnoreCase(NONE);
            if (!key.equals("policy")) none = false;
            try {
                switch (key) {
                    case "policy" -> {
                        if (!clear) throw new IllegalArgumentException("only policy=none is accepted (it removes the"
                                + " policy; set single keys to change it)");
                        none = true;
                        priority = Policy.DEFAULT_PRIORITY;
                        cpu = null;
                        bw.clear();
                    }
                    case "priority" -> {
                        if (clear) throw new IllegalArgumentException("priority cannot be none");
                        priority = integer(value);
                    }
                    case "cpu" -> {
                        if (!clear) throw new IllegalArgumentException("only cpu=none is accepted (set cpu.weight,"
                                + " cpu.percent or cpu.cap)");
                        cpu = null;
                    }
                    case "cpu.weight" -> {
                        Integer w = clear ? null : integer(value);
                        cpu = cpu(w, w != null ? null : cpuField(cpu, 1), cpuField(cpu, 2));
                    }
                    case "cpu.percent" -> {
                        Double p = clear ? null : percent(value);
                        cpu = cpu(p != null ? null : cpu == null ? null : cpu.weight(), p, cpuField(cpu, 2));
                    }
                    case "cpu.cap" -> cpu = cpu(cpu == null ? null : cpu.weight(), cpuField(cpu, 1),
                            clear ? null : percent(value));
                    default -> {
                        if (!key.startsWith("bandwidth.")) throw new UnknownKey();
                        String rest = key.substring("bandwidth.".length());
                        int dot = rest.lastIndexOf('.');
                        String attr = dot < 0 ? "" : rest.substring(dot + 1);
                        if (dot >= 0 && !attr.equals("booking") && !attr.equals("burst")) {
                            throw new UnknownKey();
                        }
                        String pipe = dot < 0 ? rest : rest.substring(0, dot);
                        if (!PolicyValidator.NAME.matcher(pipe).matches()) {
                            throw new IllegalArgumentException("\"" + pipe + "\" is not a valid pipe name");
                        }
                        if (dot < 0) {
                            if (!clear) throw new IllegalArgumentException("only " + key + "=none is accepted (set "
                                    + key + ".booking or " + key + ".burst)");
                            bw.remove(pipe);
                        } else {
                            BandwidthPolicy old = bw.getOrDefault(pipe, new BandwidthPolicy(pipe, null, null));
                            Amount a = clear ? null : amount(value);
                            BandwidthPolicy nb = attr.equals("booking") ? new BandwidthPolicy(pipe, a, old.burst())
                                    : new BandwidthPolicy(pipe, old.booking(), a);
                            if (nb.booking() == null && nb.burst() == null) bw.remove(pipe);
                            else bw.put(pipe, nb);
                        }
                    }
                }
            } catch (UnknownKey u) {
                errors.add(new FieldError(key, "unknown key (keys: " + String.join(", ", KEYS) + ")"));
            } catch (IllegalArgumentException x) {
                errors.add(new FieldError(key, x.getMessage()));
            }
        }
        if (!errors.isEmpty()) return new Result(base, errors);
        if (none) return new Result(null, errors);
        return new Result(new Policy(priority, cpu, new ArrayList<>(bw.values())), errors);
    }

    private static final class UnknownKey extends IllegalArgumentException {}

    private static Double cpuField(CpuPolicy c, int which) {
        if (c == null) return null;
        return which == 1 ? c.percent() : c.capPercent();
    }

    private static CpuPolicy cpu(Integer weight, Double percent, Double cap) {
        return weight == null && percent == null && cap == null ? null : new CpuPolicy(weight, percent, cap);
    }

    private static int integer(String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number, found \"" + v + "\"");
        }
    }

    private static double percent(String v) {
        Double p = Rates.parsePercent(v);
        if (p != null) return p;
        try {
            double d = Double.parseDouble(v);
            if (Double.isFinite(d)) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("expected a percentage like 25 or 25%, found \"" + v + "\"");
    }

    /** A rate ("30mbit", a bare number of bits per second) or a percentage of the pipe ("25%"). */
    static Amount amount(String v) {
        Double p = Rates.parsePercent(v);
        if (p != null) return new Amount.Percent(p);
        return new Amount.BitsPerSecond(Rates.parseBits(v));
    }
}
