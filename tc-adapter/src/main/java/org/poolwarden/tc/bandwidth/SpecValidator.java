package org.poolwarden.tc.bandwidth;

import java.util.HashMap;
import java.util.Map;

import org.poolwarden.tc.link.LinkCodec;

/** Checks a {@link BandwidthSpec} before anything is sent: the first problem, naming its field, or nothing. */
public final class SpecValidator {
    /**
     * Class minors 0 (the qdisc) and 1 (our root class) are taken; leaf qdiscs use 0x8000|minor as their major, so
     * minors stop short of 0x7fff, whose leaf would be ffff: (the ingress qdisc's handle).
     */
    public static final int MIN_MINOR = 2;
    public static final int MAX_MINOR = 0x7ffe;
    /** Below 8 kbit/s a default burst lasts seconds and HTB's accounting gets coarse; nobody books that little. */
    public static final long MIN_RATE = 8_000;
    /** tc filter priorities are 16 bits; 0 means "pick one" to the kernel, which we never want. */
    public static final int MAX_PRIO = 0xffff;

    private SpecValidator() {
    }

    public static void validate(BandwidthSpec spec) {
        if (spec == null) {
            throw new BandwidthSpecException("spec", "is missing");
        }
        try {
            LinkCodec.requireName(spec.device());
        } catch (IllegalArgumentException e) {
            throw new BandwidthSpecException("device", e.getMessage());
        }
        if (spec.linkRate() <= 0) {
            throw new BandwidthSpecException("linkRate", "must be positive, got " + spec.linkRate());
        }
        if (spec.egress() == null && spec.ingress() == null) {
            throw new BandwidthSpecException("egress", "egress and ingress are both missing");
        }
        if (spec.egress() != null) {
            tree("egress", spec.egress(), spec.linkRate());
        }
        if (spec.ingress() != null) {
            tree("ingress", spec.ingress(), spec.linkRate());
        }
    }

    static void tree(String path, BandwidthSpec.TreeSpec t, long link) {
        rate(path + ".share", t.share(), link);
        if (t.defaultClass() == null) {
            throw new BandwidthSpecException(path + ".defaultClass", "is missing");
        }
        Map<Integer, String> minors = new HashMap<>();
        BandwidthSpec.DefaultClass d = t.defaultClass();
        minor(path + ".defaultClass.minor", d.minor(), minors);
        rate(path + ".defaultClass.rate", d.rate(), t.share());
        ceil(path + ".defaultClass.ceil", d.ceil(), d.rate(), t.share());
        // The default class's rate is not a booking: with the share fully booked it only gets what apps leave.
        long booked = 0;
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < t.apps().size(); i++) {
            BandwidthSpec.AppClass a = t.apps().get(i);
            String p = path + ".apps[" + i + "]";
            if (a.app() == null || a.app().isBlank()) {
                throw new BandwidthSpecException(p + ".app", "name is missing");
            }
            String prev = names.putIfAbsent(a.app(), p);
            if (prev != null) {
                throw new BandwidthSpecException(p + ".app", "'" + a.app() + "' already used by " + prev);
            }
            minor(p + ".minor", a.minor(), minors);
            rate(p + ".rate", a.rate(), t.share());
            ceil(p + ".ceil", a.ceil(), a.rate(), t.share());
            booked += a.rate();
        }
        if (booked > t.share()) {
            throw new BandwidthSpecException(path + ".apps", "bookings (" + booked + " bit/s) exceed the share ("
                    + t.share() + " bit/s)");
        }
        Map<Integer, String> prios = new HashMap<>();
        for (int i = 0; i < t.classifiers().size(); i++) {
            BandwidthSpec.Classifier c = t.classifiers().get(i);
            String p = path + ".classifiers[" + i + "]";
            if (c.prio() < 1 || c.prio() > MAX_PRIO) {
                throw new BandwidthSpecException(p + ".prio", c.prio() + " is not 1.." + MAX_PRIO);
            }
            String other = prios.putIfAbsent(c.prio(), p);
            if (other != null) {
                throw new BandwidthSpecException(p + ".prio", c.prio() + " already used by " + other);
            }
            if (!minors.containsKey(c.minor())) {
                throw new BandwidthSpecException(p + ".minor", "0x" + Integer.toHexString(c.minor())
                        + " is not a class of this tree");
            }
            if (c.match() == null) {
                throw new BandwidthSpecException(p + ".match", "is missing");
            }
            String problem = c.match().problem();
            if (problem != null) {
                throw new BandwidthSpecException(p + ".match", problem);
            }
        }
    }

    static void minor(String field, int minor, Map<Integer, String> seen) {
        if (minor < MIN_MINOR || minor > MAX_MINOR) {
            throw new BandwidthSpecException(field, "0x" + Integer.toHexString(minor) + " is outside 0x"
                    + Integer.toHexString(MIN_MINOR) + "..0x" + Integer.toHexString(MAX_MINOR));
        }
        String prev = seen.putIfAbsent(minor, field);
        if (prev != null) {
            throw new BandwidthSpecException(field, "class id 0x" + Integer.toHexString(minor) + " overlaps " + prev);
        }
    }

    static void rate(String field, long rate, long limit) {
        if (rate <= 0) {
            throw new BandwidthSpecException(field, "must be positive, got " + rate + " bit/s");
        }
        if (rate < MIN_RATE) {
            throw new BandwidthSpecException(field, rate + " bit/s is below the minimum of " + MIN_RATE);
        }
        if (rate > limit) {
            throw new BandwidthSpecException(field, rate + " bit/s exceeds the " + limit + " bit/s above it");
        }
    }

    static void ceil(String field, long ceil, long rate, long limit) {
        if (ceil < rate) {
            throw new BandwidthSpecException(field, ceil + " bit/s is below the rate " + rate);
        }
        if (ceil > limit) {
            throw new BandwidthSpecException(field, ceil + " bit/s exceeds the " + limit + " bit/s above it");
        }
    }
}
