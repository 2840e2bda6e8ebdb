package org.poolwarden.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;
import org.poolwarden.config.Rates;

/**
 * The rules a policy set at run time must meet: the same as the config file's (ConfigBinder), with field paths
 * relative to the policy ({@code cpu.weight}, {@code bandwidth[0].booking}). Pure: given the host's pipes, it says
 * every problem and changes nothing.
 */
public final class PolicyValidator {
    /** Same as config app/pipe names (they end up in cgroup, tc and nft names). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private PolicyValidator() {}

    /**
     * @param policy null is valid (monitor only)
     * @param pipes  the host's pipes; null checks only what does not depend on them
     */
    public static List<FieldError> validate(Policy policy, List<Pipe> pipes) {
        List<FieldError> errors = new ArrayList<>();
        if (policy == null) return errors;
        if (policy.priority() < Policy.MIN_PRIORITY || policy.priority() > Policy.MAX_PRIORITY) {
            errors.add(new FieldError("priority", "must be from " + Policy.MIN_PRIORITY + " to " + Policy.MAX_PRIORITY
                    + ", found " + policy.priority()));
        }
        CpuPolicy cpu = policy.cpu();
        if (cpu != null) {
            if (cpu.weight() == null && cpu.percent() == null && cpu.capPercent() == null) {
                errors.add(new FieldError("cpu", "give weight, percent or cap"));
            }
            if (cpu.weight() != null && cpu.percent() != null) {
                errors.add(new FieldError("cpu.percent", "give either weight or percent, not both"));
            }
            if (cpu.weight() != null && (cpu.weight() < CpuPolicy.MIN_WEIGHT || cpu.weight() > CpuPolicy.MAX_WEIGHT)) {
                errors.add(new FieldError("cpu.weight", "must be from " + CpuPolicy.MIN_WEIGHT + " to "
                        + CpuPolicy.MAX_WEIGHT + ", found " + cpu.weight()));
            }
            percent(errors, "cpu.percent", cpu.percent());
            percent(errors, "cpu.cap", cpu.capPercent());
            if (cpu.percent() != null && cpu.capPercent() != null && cpu.capPercent() < cpu.percent()) {
                errors.add(new FieldError("cpu.cap", "cap " + Rates.formatPercent(cpu.capPercent())
                        + " is below the guaranteed percent " + Rates.formatPercent(cpu.percent())));
            }
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < policy.bandwidth().size(); i++) {
            BandwidthPolicy b = policy.bandwidth().get(i);
            String path = "bandwidth[" + i + "]";
            if (b == null) {
                errors.add(new FieldError(path, "must be an object"));
                continue;
            }
            Pipe pipe = null;
            if (b.pipe() == null || !NAME.matcher(b.pipe()).matches()) {
                errors.add(new FieldError(path + ".pipe", b.pipe() == null ? "missing" : "\"" + b.pipe()
                        + "\" is not a valid pipe name"));
            } else {
                if (!seen.add(b.pipe())) errors.add(new FieldError(path + ".pipe", "pipe \"" + b.pipe()
                        + "\" already has an entry in this policy"));
                if (pipes != null) {
                    pipe = pipes.stream().filter(p -> p.name().equals(b.pipe())).findFirst().orElse(null);
                    if (pipe == null) errors.add(new FieldError(path + ".pipe", "unknown pipe \"" + b.pipe() + "\""
                            + (pipes.isEmpty() ? " (no pipes are defined)" : " (defined: " + String.join(", ",
                            pipes.stream().map(Pipe::name).sorted().toList()) + ")")));
                }
            }
            if (b.booking() == null && b.burst() == null) errors.add(new FieldError(path, "give booking, burst or both"));
            boolean bookingOk = amount(errors, path + ".booking", b.booking());
            boolean burstOk = amount(errors, path + ".burst", b.burst());
            Long bk = null, bu = null;
            if (pipe != null) {
                long cap = pipe.capacityBitsPerSecond();
                bk = bookingOk ? bits(b.booking(), cap) : null;
                bu = burstOk ? bits(b.burst(), cap) : null;
                if (bk != null && bk > cap) errors.add(new FieldError(path + ".booking", "booking " + b.booking()
                        + " exceeds the capacity of pipe \"" + pipe.name() + "\" (" + Rates.format(cap) + ")"));
                if (bu != null && bu > cap) errors.add(new FieldError(path + ".burst", "burst " + b.burst()
                        + " exceeds the capacity of pipe \"" + pipe.name() + "\" (" + Rates.format(cap) + ")"));
            } else if (bookingOk && burstOk && b.booking() != null && b.burst() != null
                    && b.booking().getClass() == b.burst().getClass()) {
                // Without the pipe's capacity only like amounts compare.
                bk = bits(b.booking(), 100);
                bu = bits(b.burst(), 100);
            }
            if (bk != null && bu != null && bu < bk) errors.add(new FieldError(path + ".burst", "burst " + b.burst()
                    + " is below the booking " + b.booking()));
        }
        return errors;
    }

    private static void percent(List<FieldError> errors, String field, Double v) {
        if (v != null && !(v > 0 && v <= 100)) {
            errors.add(new FieldError(field, "must be a percentage above 0 and at most 100, found "
                    + Rates.formatPercent(v)));
        }
    }

    /** @return true when present and valid */
    private static boolean amount(List<FieldError> errors, String field, Amount a) {
        if (a == null) return false;
        if (a instanceof Amount.BitsPerSecond b && b.value() <= 0) {
            errors.add(new FieldError(field, "must be above 0, found " + b.value()));
            return false;
        }
        if (a instanceof Amount.Percent p && !(p.value() > 0 && p.value() <= 100)) {
            errors.add(new FieldError(field, "must be a percentage above 0 and at most 100, found " + p));
            return false;
        }
        return true;
    }

    private static Long bits(Amount a, long capacity) {
        if (a == null) return null;
        if (a instanceof Amount.BitsPerSecond b) return b.value();
        return (long) Math.floor(((Amount.Percent) a).value() * capacity / 100.0);
    }
}
