package org.poolwarden.policy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.config.App;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.PoolwardenConfig;

/**
 * Turns policies into concrete numbers for this host. Pure: the same config, resources and set of running apps always
 * give the same plan.
 *
 * <p>CPU. Percentages of the host are bookings: if they add up to more than the host, they are scaled down by priority
 * ({@link PriorityScaler}) and an alarm is raised. Apps with a weight (or no CPU policy: the kernel's default weight
 * 100) share what the bookings leave, in proportion to their weights. When no app books a percentage, weights are
 * written as configured. Otherwise each app's share in basis points of the host becomes its cpu.weight (the scale is
 * the same, 1..10000), so under contention each booked app gets its share. A cap becomes cpu.max: cap% of all CPUs
 * per period.
 *
 * <p>Bandwidth, per pipe: bookings (absolute, or a percentage of this host's capacity on the pipe) become the HTB
 * rate, scaled by priority with an alarm when they exceed the capacity; the burst limit (default: the capacity) becomes
 * the ceil, never below the rate and never above the capacity.
 */
public final class PolicyCalculator {
    /** The cgroup v2 default cpu.weight, given to apps without a CPU policy so they are neither favoured nor starved. */
    public static final int DEFAULT_WEIGHT = 100;
    /** The host as a whole, in basis points: 100% = 10000, the same range as cpu.weight. */
    public static final long HOST_BASIS_POINTS = 10_000;
    /** cpu.max period: the kernel's default 100 ms. */
    public static final long PERIOD_MICROS = 100_000;
    /** The kernel rejects cpu.max quotas under 1 ms. */
    public static final long MIN_QUOTA_MICROS = 1_000;

    private PolicyCalculator() {}

    public static PolicyPlan plan(PoolwardenConfig config, HostResources host) {
        return plan(config, host, null);
    }

    /**
     * @param running the apps with processes on this host; only they book CPU here (an app that is not running must
     *                not squeeze the ones that are). Null: all apps (planning ahead, `policy get`). Bandwidth is
     *                planned for every app, since a flow-rule app may have traffic and no process.
     */
    public static PolicyPlan plan(PoolwardenConfig config, HostResources host, java.util.Set<String> running) {
        List<InsufficientResources> alarms = new ArrayList<>();
        List<App> cpuApps = config.apps();
        if (running != null) cpuApps = cpuApps.stream().filter(a -> running.contains(a.name())).toList();
        Map<String, CpuAllocation> cpu = cpu(cpuApps, host.cpus(), alarms);
        Map<String, Map<String, BandwidthAllocation>> bw = new LinkedHashMap<>();
        for (Pipe p : config.pipes()) {
            long bits = host.pipeCapacityBitsPerSecond().getOrDefault(p.name(), p.capacityBitsPerSecond());
            bw.put(p.name(), bandwidth(p.name(), bits / 8, config.apps(), alarms));
        }
        return new PolicyPlan(cpu, bw, alarms);
    }

    static Map<String, CpuAllocation> cpu(List<App> apps, int cpus, List<InsufficientResources> alarms) {
        List<PriorityScaler.Demand> bookings = new ArrayList<>();
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (App a : apps) {
            Policy.CpuPolicy c = a.policy() == null ? null : a.policy().cpu();
            if (c != null && c.percent() != null) {
                bookings.add(new PriorityScaler.Demand(a.name(), a.policy().priority(), basisPoints(c.percent())));
            } else {
                weights.put(a.name(), c != null && c.weight() != null ? c.weight() : DEFAULT_WEIGHT);
            }
        }
        PriorityScaler.Result scaled = PriorityScaler.scale(bookings, HOST_BASIS_POINTS);
        if (!scaled.sufficient()) alarms.add(alarm("cpu", "basis-points-of-host", bookings, scaled, HOST_BASIS_POINTS));
        Map<String, Long> share = new LinkedHashMap<>(scaled.granted());
        if (!bookings.isEmpty()) {
            long left = HOST_BASIS_POINTS;
            for (long g : scaled.granted().values()) left -= g;
            long wsum = 0;
            for (int w : weights.values()) wsum += w;
            for (Map.Entry<String, Integer> e : weights.entrySet()) share.put(e.getKey(), left * e.getValue() / wsum);
        }
        Map<String, CpuAllocation> out = new LinkedHashMap<>();
        for (App a : apps) {
            Policy.CpuPolicy c = a.policy() == null ? null : a.policy().cpu();
            int weight;
            if (bookings.isEmpty()) weight = weights.get(a.name());
            else weight = (int) Math.max(Policy.CpuPolicy.MIN_WEIGHT, Math.min(Policy.CpuPolicy.MAX_WEIGHT,
                    share.get(a.name())));
            long guaranteed = c != null && c.percent() != null ? scaled.granted().get(a.name()) : 0;
            long quota = CpuAllocation.UNLIMITED;
            if (c != null && c.capPercent() != null) {
                quota = Math.max(MIN_QUOTA_MICROS, BigDecimal.valueOf(c.capPercent()).multiply(BigDecimal.valueOf(cpus))
                        .multiply(BigDecimal.valueOf(PERIOD_MICROS)).divide(BigDecimal.valueOf(100), 0,
                                RoundingMode.FLOOR).longValueExact());
            }
            out.put(a.name(), new CpuAllocation(a.name(), weight, guaranteed, quota, PERIOD_MICROS));
        }
        return out;
    }

    static Map<String, BandwidthAllocation> bandwidth(String pipe, long capacity, List<App> apps,
                                                      List<InsufficientResources> alarms) {
        List<PriorityScaler.Demand> bookings = new ArrayList<>();
        Map<String, Long> ceils = new LinkedHashMap<>();
        for (App a : apps) {
            if (a.policy() == null) continue;
            for (BandwidthPolicy b : a.policy().bandwidth()) {
                if (!b.pipe().equals(pipe)) continue;
                long booking = b.booking() == null ? 0 : Math.min(capacity, bytesPerSecond(b.booking(), capacity));
                bookings.add(new PriorityScaler.Demand(a.name(), a.policy().priority(), booking));
                ceils.put(a.name(), b.burst() == null ? capacity : Math.min(capacity, bytesPerSecond(b.burst(),
                        capacity)));
            }
        }
        PriorityScaler.Result scaled = PriorityScaler.scale(bookings, capacity);
        if (!scaled.sufficient()) alarms.add(alarm("pipe:" + pipe, "bytes/s", bookings, scaled, capacity));
        Map<String, BandwidthAllocation> out = new LinkedHashMap<>();
        for (PriorityScaler.Demand d : bookings) {
            long rate = scaled.granted().get(d.id());
            out.put(d.id(), new BandwidthAllocation(d.id(), pipe, rate, Math.max(rate, ceils.get(d.id())),
                    d.amount()));
        }
        return out;
    }

    /** Absolute bits/s to bytes/s (floor), or a percentage of the capacity (floor). */
    public static long bytesPerSecond(Amount a, long capacityBytesPerSecond) {
        if (a instanceof Amount.BitsPerSecond b) return b.value() / 8;
        return BigDecimal.valueOf(((Amount.Percent) a).value()).multiply(BigDecimal.valueOf(capacityBytesPerSecond))
                .divide(BigDecimal.valueOf(100), 0, RoundingMode.FLOOR).longValueExact();
    }

    static long basisPoints(double percent) {
        return BigDecimal.valueOf(percent).multiply(BigDecimal.valueOf(100)).setScale(0, RoundingMode.HALF_EVEN)
                .longValueExact();
    }

    private static InsufficientResources alarm(String resource, String unit, List<PriorityScaler.Demand> bookings,
                                               PriorityScaler.Result scaled, long available) {
        long booked = 0;
        List<InsufficientResources.Shortfall> s = new ArrayList<>();
        for (PriorityScaler.Demand d : bookings) {
            booked += d.amount();
            long g = scaled.granted().get(d.id());
            if (g < d.amount()) s.add(new InsufficientResources.Shortfall(d.id(), d.priority(), d.amount(), g));
        }
        return new InsufficientResources(resource, unit, booked, available, s);
    }
}
