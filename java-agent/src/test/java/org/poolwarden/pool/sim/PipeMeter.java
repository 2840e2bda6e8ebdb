package org.poolwarden.pool.sim;

/**
 * What both pool simulations measure on the pipe, tick by tick: overshoot (per tick, time-averaged, worst sliding
 * 1 s window overall and during the partition), utilisation while the true demand exceeds the pipe (and while it
 * has done so for 3 ticks or more: congestion the allocator can see), and the totals against the oracle.
 */
public final class PipeMeter {

    private final double q;
    private final int ticksPerSec;
    private final int warm;
    private final double[] sentPerTick;
    private double overshootSum;
    private double worstTick;
    private int worstTickAt = -1;
    private double utilSum;
    private double utilSustainedSum;
    private int congested;
    private int sustained;
    private int run;
    private double totalSent;
    private double totalOracle;

    /** @param warm ticks left out of worst-case and utilisation figures */
    public PipeMeter(double bytesPerTick, int ticksPerSec, int ticks, int warm) {
        this.q = bytesPerTick;
        this.ticksPerSec = ticksPerSec;
        this.warm = warm;
        this.sentPerTick = new double[ticks];
    }

    public void tick(int t, double sent, double oracleSent, double trueDemand) {
        sentPerTick[t] = sent;
        totalSent += sent;
        totalOracle += oracleSent;
        double over = Math.max(0, sent - q) / q;
        overshootSum += over;
        if (t > warm && over > worstTick) {
            worstTick = over;
            worstTickAt = t;
        }
        run = trueDemand >= q ? run + 1 : 0;
        if (run > 0 && t > warm) {
            congested++;
            utilSum += Math.min(sent, q) / q;
            if (run >= 3) {
                sustained++;
                utilSustainedSum += Math.min(sent, q) / q;
            }
        }
    }

    /** Sent bytes in the last second up to tick {@code t} (inclusive), over the pipe's bytes per second. */
    public double lastSecond(int t) {
        double s = 0;
        for (int k = Math.max(0, t - ticksPerSec + 1); k <= t; k++) {
            s += sentPerTick[k];
        }
        return s / (q * ticksPerSec);
    }

    public double overshootAvgPct() {
        return 100 * overshootSum / sentPerTick.length;
    }

    public double worstTickPct() {
        return 100 * worstTick;
    }

    public int worstTickAt() {
        return worstTickAt;
    }

    /** Worst sliding 1 s window of overshoot, in %: overall, or of windows that overlap ticks [from, to). */
    public double worst1sPct(int from, int to) {
        double worst = 0;
        double win = 0;
        for (int t = 0; t < sentPerTick.length; t++) {
            win += sentPerTick[t];
            if (t >= ticksPerSec) {
                win -= sentPerTick[t - ticksPerSec];
            }
            if (t >= ticksPerSec - 1 && t > warm && t >= from && t - ticksPerSec < to) {
                worst = Math.max(worst, Math.max(0, win - ticksPerSec * q) / (ticksPerSec * q));
            }
        }
        return 100 * worst;
    }

    public double worst1sPct() {
        return worst1sPct(0, Integer.MAX_VALUE);
    }

    /**
     * The last tick of the worst 1 s window among those ending at or after tick {@code from} (-1 without
     * overshoot): where to look in a diagnosis.
     */
    public int worst1sEndTick(int from) {
        double worst = 0;
        int at = -1;
        double win = 0;
        for (int t = 0; t < sentPerTick.length; t++) {
            win += sentPerTick[t];
            if (t >= ticksPerSec) {
                win -= sentPerTick[t - ticksPerSec];
            }
            if (t >= ticksPerSec - 1 && t > warm && t >= from && win - ticksPerSec * q > worst) {
                worst = win - ticksPerSec * q;
                at = t;
            }
        }
        return at;
    }

    public double utilisationCongestedPct() {
        return congested == 0 ? Double.NaN : 100 * utilSum / congested;
    }

    public int congestedTicks() {
        return congested;
    }

    public double utilisationSustainedPct() {
        return sustained == 0 ? Double.NaN : 100 * utilSustainedSum / sustained;
    }

    public int sustainedTicks() {
        return sustained;
    }

    public double throughputVsOraclePct() {
        return 100 * totalSent / totalOracle;
    }
}
