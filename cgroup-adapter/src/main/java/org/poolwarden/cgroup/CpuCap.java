package org.poolwarden.cgroup;

/**
 * An upper bound on CPU use, in CPUs (0.25 = a quarter of one CPU, 2.0 = two whole CPUs). Enforced by CFS bandwidth
 * control: {@code quota} microseconds of run time per {@code period}.
 *
 * @param cpus the bound, {@value #MIN_CPUS}..{@value #MAX_CPUS}
 */
public record CpuCap(double cpus) {
    /** Below 1% of a CPU the kernel's 1 ms minimum quota would need periods above 100 ms; refuse rather than lie. */
    public static final double MIN_CPUS = 0.01;
    /** Far above any host; keeps quota × period arithmetic well inside a long. */
    public static final double MAX_CPUS = 4096;

    public CpuCap {
        if (!(cpus >= MIN_CPUS && cpus <= MAX_CPUS)) {
            throw new IllegalArgumentException("cpu cap " + cpus + " CPUs is out of range " + MIN_CPUS + ".." + MAX_CPUS);
        }
    }

    public static CpuCap ofCpus(double cpus) {
        return new CpuCap(cpus);
    }

    /** A fraction (0, 1] of a host with {@code hostCpus} CPUs. */
    public static CpuCap ofHost(double fraction, int hostCpus) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("cpu cap " + fraction + " of the host is out of range (0, 1]");
        }
        if (hostCpus < 1) {
            throw new IllegalArgumentException("host cpu count " + hostCpus + " must be at least 1");
        }
        return new CpuCap(fraction * hostCpus);
    }
}
