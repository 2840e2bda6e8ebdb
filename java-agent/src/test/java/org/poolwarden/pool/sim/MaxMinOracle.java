package org.poolwarden.pool.sim;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Centralised reference that sees every app's true demand instantly: bookings first (cut proportionally if they do
 * not fit), then max-min fair (water-filling, equal weights) among the unbooked demands. Test code only.
 */
public final class MaxMinOracle {

    private MaxMinOracle() {
    }

    /** @return per app: what it should get, in the same unit as the inputs */
    public static double[] allocate(double capacity, double[] booked, double[] unbooked) {
        int n = booked.length;
        double[] out = new double[n];
        double b = 0;
        for (double x : booked) {
            b += x;
        }
        double f = b > capacity ? capacity / b : 1.0;
        double left = capacity;
        for (int i = 0; i < n; i++) {
            out[i] = booked[i] * f;
            left -= out[i];
        }
        left = Math.max(0, left);
        double[] fill = waterFill(left, unbooked);
        for (int i = 0; i < n; i++) {
            out[i] += fill[i];
        }
        return out;
    }

    public static double[] waterFill(double capacity, double[] demand) {
        int n = demand.length;
        double[] out = new double[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> demand[i]));
        double left = capacity;
        int remaining = n;
        for (Integer i : order) {
            double level = left / remaining;
            double give = Math.min(Math.max(0, demand[i]), level);
            out[i] = give;
            left -= give;
            remaining--;
        }
        return out;
    }

    /** Jain's index of x: 1 when all equal, 1/n when one has everything. */
    public static double jain(double[] x) {
        double s = 0;
        double s2 = 0;
        for (double v : x) {
            s += v;
            s2 += v * v;
        }
        return s2 == 0 ? 1.0 : s * s / (x.length * s2);
    }
}
