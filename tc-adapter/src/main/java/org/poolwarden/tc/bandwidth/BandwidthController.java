package org.poolwarden.tc.bandwidth;

/**
 * The bandwidth port: "make pipe interface X look like this desired tree; give me per-class statistics".
 * Implementations only ever touch their own objects (the root qdisc with {@link #ROOT_MAJOR}, its classes and
 * leaf queues, our filters, the IFB they create, our ingress redirect and the ingress qdisc only if they created it;
 * see {@link IngressRedirect}). A foreign root qdisc, or a foreign filter at our ingress priority, fails the apply
 * with {@link ForeignObjectException} (root: unless the spec says to take it over); bad input fails with
 * {@link BandwidthSpecException}; either before anything changes.
 */
public interface BandwidthController extends AutoCloseable {
    /** Our qdisc handle's major, "PW": nothing else on a host uses it by accident. */
    int ROOT_MAJOR = 0x5057;
    /** Our root class minor: the host's share of the pipe. */
    int ROOT_CLASS_MINOR = 1;
    /** The priority of our mirred redirect on the device's ingress qdisc. */
    int INGRESS_REDIRECT_PRIO = 0x5057;
    /** Short leaf queues: this kernel has no fq_codel/sfq, and long FIFOs add delay for everyone in the class. */
    int LEAF_QUEUE_PACKETS = 32;

    /**
     * Makes the kernel match {@code spec} by diff: only differences are sent, so applying the same spec twice sends
     * nothing the second time. Outside changes to our objects are undone and counted as drift.
     */
    ApplyReport apply(BandwidthSpec spec);

    /** Per-class counters of the device's trees: one class dump per tree. */
    BandwidthStats stats(String device);

    /**
     * Removes everything we created for {@code device}; foreign objects stay (an ingress qdisc we found there keeps
     * its filters and stays). Safe on any device: one with nothing of ours is left as it is.
     */
    void remove(String device);

    Counters counters();

    /** The class id nftables writes into {@code meta priority} for an egress class minor. */
    static int classId(int minor) {
        return (ROOT_MAJOR << 16) | minor;
    }

    @Override
    void close();

    /** Cumulative counters since the controller was created; {@code foreignRootsSeen}: applies refused for one. */
    record Counters(long applies, long changesSent, long driftCorrected, long foreignRootsSeen, long errors) {
    }
}
