package org.poolwarden.pool.share;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;

/**
 * This host's traffic on one pipe, sampled once per interval: the port between the coordinator and whatever
 * measures queues (HTB class counters on a real host, a queue model in simulations).
 */
public interface PipeTraffic {

    /**
     * @param queuedBytes per app class of this host: bytes it needs to send in the coming interval (what is queued,
     *                    plus what it is expected to bring); apps absent mean 0
     * @param sentBytes   bytes the whole tree sent since the previous sample (pays or deepens the overdraft)
     *                    <p>The map is wrapped, not copied: the coordinator reads it during the round it asked for
     *                    it and keeps nothing, and copying 500 classes per pipe each interval was a third of a
     *                    round's CPU. Hand over a map that does not change during the round.
     */
    record Sample(Map<String, Long> queuedBytes, long sentBytes) {
        public Sample {
            queuedBytes = Collections.unmodifiableMap(Objects.requireNonNull(queuedBytes, "queuedBytes"));
        }
    }

    Sample sample(SharedPipe pipe, long nowNanos);

    /**
     * True when the traffic goes out through a rate-enforcing token bucket (HTB): the bucket carries the debt of a
     * packet sent over its tokens itself, so the coordinator hands it the whole credit, and the counters' jitter
     * between rounds is not mistaken for an overdraft. False (the default) when traffic is sent against the credit
     * packet by packet: the {@link org.poolwarden.pool.pipe.OverdraftLedger} then holds back what was overdrawn.
     */
    default boolean shapedByTokenBucket() {
        return false;
    }
}
