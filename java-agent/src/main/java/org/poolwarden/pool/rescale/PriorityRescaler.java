package org.poolwarden.pool.rescale;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits absolute policy amounts into the capacity that is left (seed 004 [0145]-[0146]: "preserve resource levels in
 * priority relative to the absolute application policies").
 *
 * <p>Priority levels are served from the highest down. A level that fits keeps its absolute amounts. The first
 * level that does not fit shares what is left in proportion to its amounts; levels below it get nothing. Every claim
 * that gets less than it asked for yields an {@link InsufficientResources}. The function is pure: restoring the
 * capacity restores the original amounts exactly, which is how policies come back when a host returns.
 */
public final class PriorityRescaler {

    private PriorityRescaler() {
    }

    public static RescaleResult rescale(String resource, List<Claim> claims, double capacity) {
        if (!(capacity >= 0) || Double.isInfinite(capacity)) {
            throw new IllegalArgumentException("rescale " + resource + ": capacity=" + capacity
                    + " must be finite and >= 0");
        }
        TreeMap<Integer, List<Claim>> levels = new TreeMap<>(Comparator.reverseOrder());
        for (Claim c : claims) {
            levels.computeIfAbsent(c.priority(), p -> new ArrayList<>()).add(c);
        }
        List<Granted> grants = new ArrayList<>(claims.size());
        List<InsufficientResources> insufficient = new ArrayList<>();
        double left = capacity;
        for (Map.Entry<Integer, List<Claim>> level : levels.entrySet()) {
            List<Claim> cs = level.getValue();
            cs.sort(Comparator.comparing(Claim::id));
            double want = 0;
            for (Claim c : cs) {
                want += c.amount();
            }
            double factor = want <= left ? 1.0 : (want == 0 ? 0 : left / want);
            double used = 0;
            for (Claim c : cs) {
                double g = factor >= 1.0 ? c.amount() : c.amount() * factor;
                grants.add(new Granted(c.id(), c.priority(), c.amount(), g));
                used += g;
                if (g < c.amount()) {
                    insufficient.add(new InsufficientResources(resource, c.id(), c.amount(), g));
                }
            }
            // A short level used everything: do not hand rounding dust to lower levels.
            left = factor < 1.0 ? 0 : Math.max(0, left - used);
        }
        return new RescaleResult(grants, insufficient);
    }
}
