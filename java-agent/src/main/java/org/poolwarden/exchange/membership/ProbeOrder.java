package org.poolwarden.exchange.membership;

/** Which member a host probes in each protocol period. */
public enum ProbeOrder {
    /**
     * SWIM and memberlist: every host walks its own shuffled list. Each host is probed about once per period in all,
     * but by independent random choices, so the wait for the first probe of a dead host is exponential: its p99 is
     * about 4.6 periods, and at 128 hosts some waits come close to 1.5 s with a 200 ms period.
     */
    SHUFFLED,
    /**
     * In round r (the wall clock divided by the period, the same on every host within NTP accuracy), the host at
     * place i of the members sorted by id probes the one at place i + 1 + (r mod (n - 1)). For one r that is a
     * permutation, so every member is probed once per period by a different host each time: the first probe of a dead
     * host comes within about one period and the next ones follow one per period. Hosts whose clocks or member
     * lists disagree only fall back to what {@link #SHUFFLED} gives.
     */
    ROTATING
}
