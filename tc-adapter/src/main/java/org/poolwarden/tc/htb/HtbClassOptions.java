package org.poolwarden.tc.htb;

/**
 * One HTB class's parameters as sent to the kernel. Rates in bytes per second (the kernel's unit). A burst of 0
 * means "compute it as iproute2 does" (rate/HZ + mtu); the quantum is always explicit: 0 means "compute it"
 * (rate/r2q clamped to [mtu, 200000]).
 */
public record HtbClassOptions(long rate, long ceil, long burst, long cburst, int quantum, int prio, int mtu) {
    public HtbClassOptions {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate must be positive, got " + rate + " bytes/s");
        }
        if (ceil < rate) {
            throw new IllegalArgumentException("ceil (" + ceil + " bytes/s) must be at least rate (" + rate + ")");
        }
        if (mtu <= 0) {
            throw new IllegalArgumentException("mtu must be positive, got " + mtu);
        }
        if (prio < 0 || prio > 7) {
            throw new IllegalArgumentException("prio must be 0..7, got " + prio);
        }
    }

    public static HtbClassOptions of(long rate, long ceil) {
        return new HtbClassOptions(rate, ceil, 0, 0, 0, 0, HtbArithmetic.DEFAULT_MTU);
    }

    public HtbClassOptions withQuantum(int q) {
        return new HtbClassOptions(rate, ceil, burst, cburst, q, prio, mtu);
    }

    public HtbClassOptions withRates(long newRate, long newCeil) {
        return new HtbClassOptions(newRate, newCeil, burst, cburst, quantum, prio, mtu);
    }

    public long effectiveBurst(Psched p) {
        return burst != 0 ? burst : HtbArithmetic.defaultBurstBytes(rate, mtu, p);
    }

    public long effectiveCburst(Psched p) {
        return cburst != 0 ? cburst : HtbArithmetic.defaultBurstBytes(ceil, mtu, p);
    }

    public int effectiveQuantum(int r2q) {
        return quantum != 0 ? quantum : HtbArithmetic.quantum(rate, r2q, mtu);
    }
}
