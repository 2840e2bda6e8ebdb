package org.poolwarden.policy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Shares a capacity among bookings when they do not all fit. Priorities are served from the highest down: a priority
 * level whose bookings all fit in what is left gets them in full; the first level that does not fit shares what is
 * left in proportion to its bookings (largest remainder, so nothing is lost to rounding); lower levels get nothing.
 * Pure and exact (integer units), so every host computes the same split from the same inputs.
 *
 * <p>Guarantees, checked by properties: the sum granted is min(capacity, sum booked); nobody gets more than booked; a
 * higher priority never gets a smaller fraction of its booking than a lower one; scaling the result again changes
 * nothing.
 */
public final class PriorityScaler {
    private PriorityScaler() {}

    /** One booking: who, how important, how much (in any unit, the same for all). */
    public record Demand(String id, int priority, long amount) {
        public Demand {
            if (amount < 0) throw new IllegalArgumentException("negative booking " + amount + " for " + id);
        }
    }

    /** @param granted in the order of the demands */
    public record Result(Map<String, Long> granted, boolean sufficient) {
        public Result {
            granted = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(granted));
        }
    }

    public static Result scale(List<Demand> demands, long capacity) {
        if (capacity < 0) throw new IllegalArgumentException("negative capacity " + capacity);
        Map<String, Long> granted = new LinkedHashMap<>();
        BigInteger total = BigInteger.ZERO;
        for (Demand d : demands) {
            if (granted.put(d.id(), 0L) != null) throw new IllegalArgumentException("duplicate id " + d.id());
            total = total.add(BigInteger.valueOf(d.amount()));
        }
        if (total.compareTo(BigInteger.valueOf(capacity)) <= 0) {
            for (Demand d : demands) granted.put(d.id(), d.amount());
            return new Result(granted, true);
        }
        TreeMap<Integer, List<Demand>> levels = new TreeMap<>(Comparator.reverseOrder());
        for (Demand d : demands) levels.computeIfAbsent(d.priority(), k -> new ArrayList<>()).add(d);
        long left = capacity;
        for (List<Demand> level : levels.values()) {
            BigInteger sum = BigInteger.ZERO;
            for (Demand d : level) sum = sum.add(BigInteger.valueOf(d.amount()));
            if (sum.compareTo(BigInteger.valueOf(left)) <= 0) {
                for (Demand d : level) granted.put(d.id(), d.amount());
                left -= sum.longValueExact();
                continue;
            }
            if (left == 0) break;
            proportional(level, sum, left, granted);
            break;
        }
        return new Result(granted, false);
    }

    /** Largest remainder: floor shares, then one unit each to the largest remainders (ties: first in order). */
    private static void proportional(List<Demand> level, BigInteger s, long left, Map<String, Long> granted) {
        BigInteger l = BigInteger.valueOf(left);
        long given = 0;
        List<long[]> rema = new ArrayList<>(); // {index, remainder numerator}
        for (int i = 0; i < level.size(); i++) {
            BigInteger[] qr = BigInteger.valueOf(level.get(i).amount()).multiply(l).divideAndRemainder(s);
            long q = qr[0].longValueExact();
            granted.put(level.get(i).id(), q);
            given += q;
            rema.add(new long[] {i, qr[1].longValueExact()});
        }
        rema.sort((a, b) -> a[1] != b[1] ? Long.compare(b[1], a[1]) : Long.compare(a[0], b[0]));
        for (int k = 0; given < left && k < rema.size(); k++) {
            if (rema.get(k)[1] == 0) break;
            Demand d = level.get((int) rema.get(k)[0]);
            granted.put(d.id(), granted.get(d.id()) + 1);
            given++;
        }
    }
}
