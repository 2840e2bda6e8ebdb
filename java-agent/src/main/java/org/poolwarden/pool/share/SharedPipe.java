package org.poolwarden.pool.share;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.SpecValidator;

/**
 * One pipe as this host shares it: the pool-wide part (identical on every host) and where it lands locally.
 *
 * @param config        the pipe (capacity, tick, staleness); a capacity of 0 is rejected by {@link PipeConfig}
 * @param device        this host's interface for the pipe
 * @param linkRateBits  the interface's own rate (the HTB tree may never exceed it)
 * @param appMinors     this host's app classes on the pipe and their HTB minors
 * @param defaultMinor  HTB minor of unclassified traffic
 * @param defaultRateBits guaranteed rate of the default class, inside this host's credit: the exchange's own
 *                      packets leave through it and must not starve behind saturated apps, or membership sees
 *                      false failures. {@link #DEFAULT_CLASS_RATE_BITS} unless configured.
 * @param classifiers   u32 classifiers steering packets to app classes (may be empty when nftables marks them)
 * @param participants  member ids that share the pipe; empty means every member of the pool. A participant that
 *                      never published is reserved its floor, never counted at zero.
 */
public record SharedPipe(PipeConfig config, String device, long linkRateBits, SortedMap<String, Integer> appMinors,
                         int defaultMinor, long defaultRateBits, List<BandwidthSpec.Classifier> classifiers,
                         Set<Long> participants) {

    /**
     * 256 kbit/s: a member gossips a few packets per fast tick (a 3-host pool about 100 kbit/s including probes);
     * more than HTB's minimum of 8 kbit/s by far, a small part of any pipe worth sharing.
     */
    public static final long DEFAULT_CLASS_RATE_BITS = 256_000;

    public SharedPipe(PipeConfig config, String device, long linkRateBits, SortedMap<String, Integer> appMinors,
                      int defaultMinor, List<BandwidthSpec.Classifier> classifiers, Set<Long> participants) {
        this(config, device, linkRateBits, appMinors, defaultMinor, DEFAULT_CLASS_RATE_BITS, classifiers, participants);
    }

    public SharedPipe {
        if (config == null) {
            throw new IllegalArgumentException("shared pipe: config is missing");
        }
        String p = "pipe " + config.pipeId();
        ShareCodec.requireKey(ShareCodec.demandKey(config.pipeId()), p + ": pipeId");
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException(p + ": device is empty");
        }
        if (linkRateBits <= 0) {
            throw new IllegalArgumentException(p + ": linkRateBits=" + linkRateBits + " must be > 0");
        }
        if (defaultRateBits < SpecValidator.MIN_RATE || defaultRateBits > linkRateBits) {
            throw new IllegalArgumentException(p + ": defaultRateBits=" + defaultRateBits + " must be in "
                    + SpecValidator.MIN_RATE + ".." + linkRateBits);
        }
        if (appMinors == null || appMinors.isEmpty()) {
            throw new IllegalArgumentException(p + ": no app classes");
        }
        appMinors = Collections.unmodifiableSortedMap(new TreeMap<>(appMinors));
        classifiers = classifiers == null ? List.of() : List.copyOf(classifiers);
        participants = participants == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(participants));
    }

    public String pipeId() {
        return config.pipeId();
    }
}
