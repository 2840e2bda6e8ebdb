package org.poolwarden.pool.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.poolwarden.pool.rescale.Claim;
import org.poolwarden.pool.rescale.Granted;
import org.poolwarden.pool.rescale.InsufficientResources;
import org.poolwarden.pool.rescale.PriorityRescaler;
import org.poolwarden.pool.rescale.RescaleResult;

/**
 * Turns pool-wide CPU percentages into per-host caps and weights, identically on every host.
 *
 * <ol>
 *   <li>Each policy's absolute amount is {@code percent * nominal CPU} (all members, failed ones included), so a
 *       failure does not silently change what "30%" means; it is rescaled by priority over the live CPU
 *       ({@link PriorityRescaler}), and comes back unchanged when the member returns.</li>
 *   <li>Placement, highest priority first (then app id): the amount is spread over the live hosts running the app
 *       in proportion to their instances, water-filled against what each host has left. What cannot be placed
 *       is reported as an insufficient-resources event ("cpu-placement").</li>
 * </ol>
 * Pure and order-independent: inputs are sorted by id before any arithmetic.
 */
public final class PoolCpuAllocator {

    private PoolCpuAllocator() {
    }

    public static CpuAllocation allocate(Collection<CpuPolicy> policies, Collection<HostCpu> hosts,
                                         Collection<Instances> instances) {
        TreeMap<String, HostCpu> hostById = new TreeMap<>();
        for (HostCpu h : hosts) {
            HostCpu prev = hostById.put(h.hostId(), h);
            if (prev != null && !prev.equals(h)) {
                throw new IllegalArgumentException("host " + h.hostId() + ": listed twice with different values");
            }
        }
        TreeMap<String, CpuPolicy> policyByApp = new TreeMap<>();
        for (CpuPolicy p : policies) {
            CpuPolicy prev = policyByApp.put(p.appId(), p);
            if (prev != null && !prev.equals(p)) {
                throw new IllegalArgumentException("cpu policy " + p.appId() + ": two policies for one app");
            }
        }
        double nominal = 0;
        double live = 0;
        for (HostCpu h : hostById.values()) {
            nominal += h.cores();
            if (h.alive()) {
                live += h.cores();
            }
        }
        List<Claim> claims = new ArrayList<>();
        for (CpuPolicy p : policyByApp.values()) {
            claims.add(new Claim(p.appId(), p.priority(), p.poolPercent() / 100.0 * nominal));
        }
        RescaleResult targets = PriorityRescaler.rescale("cpu", claims, live);
        List<InsufficientResources> insufficient = new ArrayList<>(targets.insufficient());

        // instances per app on live hosts, by host id
        Map<String, TreeMap<String, Integer>> where = new HashMap<>();
        for (Instances i : instances) {
            HostCpu h = hostById.get(i.hostId());
            if (h == null || !h.alive() || i.count() == 0) {
                continue;
            }
            where.computeIfAbsent(i.appId(), a -> new TreeMap<>()).merge(i.hostId(), i.count(), Integer::sum);
        }

        Map<String, Double> left = new HashMap<>();
        for (HostCpu h : hostById.values()) {
            if (h.alive()) {
                left.put(h.hostId(), h.cores());
            }
        }
        List<HostAppCpu> entries = new ArrayList<>();
        for (Granted g : targets.grants()) { // already highest priority first, then id
            TreeMap<String, Integer> on = where.getOrDefault(g.id(), new TreeMap<>());
            double placedTotal = 0;
            if (g.granted() > 0 && !on.isEmpty()) {
                String[] hs = on.keySet().toArray(new String[0]);
                double[] w = new double[hs.length];
                double[] cap = new double[hs.length];
                for (int k = 0; k < hs.length; k++) {
                    w[k] = on.get(hs[k]);
                    cap[k] = left.get(hs[k]);
                }
                double[] put = waterFill(g.granted(), w, cap);
                for (int k = 0; k < hs.length; k++) {
                    if (put[k] > 0) {
                        entries.add(new HostAppCpu(hs[k], g.id(), put[k], HostAppCpu.weightFor(put[k])));
                        left.put(hs[k], Math.max(0, left.get(hs[k]) - put[k]));
                        placedTotal += put[k];
                    }
                }
            }
            if (placedTotal < g.granted() * (1 - 1e-9)) {
                insufficient.add(new InsufficientResources("cpu-placement", g.id(), g.requested(), placedTotal));
            }
        }
        entries.sort(Comparator.comparing(HostAppCpu::hostId).thenComparing(HostAppCpu::appId));
        return new CpuAllocation(nominal, live, targets, entries, insufficient);
    }

    /** Spread {@code amount} in proportion to {@code w}, never above {@code cap}; what does not fit is dropped. */
    static double[] waterFill(double amount, double[] w, double[] cap) {
        int n = w.length;
        double[] out = new double[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> cap[i] / w[i]));
        double left = amount;
        double wLeft = 0;
        for (double x : w) {
            wLeft += x;
        }
        for (int k = 0; k < n; k++) {
            int i = order[k];
            double level = left / wLeft;
            if (cap[i] <= w[i] * level) {
                out[i] = cap[i];
                left -= cap[i];
                wLeft -= w[i];
            } else {
                for (int j = k; j < n; j++) {
                    out[order[j]] = w[order[j]] * level;
                }
                return out;
            }
        }
        return out;
    }
}
