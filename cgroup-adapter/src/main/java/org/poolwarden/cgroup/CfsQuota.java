package org.poolwarden.cgroup;

/**
 * CFS bandwidth as the kernel stores it: {@code quotaMicros} of run time per {@code periodMicros}, or no limit.
 * Pure arithmetic between {@link CpuCap} and the files {@code cpu.max} (v2) and {@code cpu.cfs_quota_us} /
 * {@code cpu.cfs_period_us} (v1).
 *
 * @param quotaMicros  run time per period, or {@link #UNLIMITED}
 * @param periodMicros the period, {@value #PERIOD_MIN}..{@value #PERIOD_MAX}
 */
public record CfsQuota(long quotaMicros, long periodMicros) {
    public static final long UNLIMITED = -1;
    /** 100 ms: the kernel's default period; long enough that the 1 ms minimum quota allows caps down to 1%. */
    public static final long PERIOD_DEFAULT = 100_000;
    /** The kernel's bounds on the period (1 ms .. 1 s). */
    public static final long PERIOD_MIN = 1_000;
    public static final long PERIOD_MAX = 1_000_000;
    /** The kernel refuses quotas under 1 ms. */
    public static final long QUOTA_MIN = 1_000;

    public static final CfsQuota NONE = new CfsQuota(UNLIMITED, PERIOD_DEFAULT);

    public CfsQuota {
        if (periodMicros < PERIOD_MIN || periodMicros > PERIOD_MAX) {
            throw new IllegalArgumentException("cfs period " + periodMicros + " us is out of range " + PERIOD_MIN + ".." + PERIOD_MAX);
        }
        if (quotaMicros != UNLIMITED && quotaMicros < QUOTA_MIN) {
            throw new IllegalArgumentException("cfs quota " + quotaMicros + " us is below the kernel's minimum " + QUOTA_MIN);
        }
    }

    /** The quota for a cap at the default period; {@code null} means no cap. Rounded to the nearest microsecond. */
    public static CfsQuota of(CpuCap cap) {
        return of(cap, PERIOD_DEFAULT);
    }

    public static CfsQuota of(CpuCap cap, long periodMicros) {
        if (cap == null) {
            return new CfsQuota(UNLIMITED, periodMicros);
        }
        long quota = Math.max(QUOTA_MIN, Math.round(cap.cpus() * periodMicros));
        return new CfsQuota(quota, periodMicros);
    }

    public boolean limited() {
        return quotaMicros != UNLIMITED;
    }

    /** The cap this quota enforces, or {@code null} when unlimited. */
    public CpuCap toCap() {
        return limited() ? new CpuCap(Math.max(CpuCap.MIN_CPUS, Math.min(CpuCap.MAX_CPUS, cpus()))) : null;
    }

    /** quota / period; {@code Double.POSITIVE_INFINITY} when unlimited. */
    public double cpus() {
        return limited() ? (double) quotaMicros / periodMicros : Double.POSITIVE_INFINITY;
    }

    /** The v2 {@code cpu.max} text: {@code "25000 100000"} or {@code "max 100000"}. */
    public String toCpuMax() {
        return (limited() ? Long.toString(quotaMicros) : "max") + " " + periodMicros;
    }

    /** Parses {@code cpu.max}; a malformed text is an error naming it. */
    public static CfsQuota parseCpuMax(String text) {
        String[] f = text.strip().split("\\s+");
        try {
            if (f.length == 2) {
                long period = Long.parseLong(f[1]);
                return new CfsQuota(f[0].equals("max") ? UNLIMITED : Long.parseLong(f[0]), period);
            }
        } catch (NumberFormatException e) {
            // fall through to the one error below
        }
        throw new IllegalArgumentException("cpu.max content '" + text.strip() + "' is not '<quota|max> <period>'");
    }

    /** From the v1 files: {@code cpu.cfs_quota_us} is -1 when unlimited. */
    public static CfsQuota ofV1(long quotaUs, long periodUs) {
        return new CfsQuota(quotaUs < 0 ? UNLIMITED : quotaUs, periodUs);
    }
}
