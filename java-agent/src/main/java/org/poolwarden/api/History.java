package org.poolwarden.api;

import java.time.Instant;
import java.util.List;

/**
 * An app's samples from the store.
 *
 * @param resolutionSeconds the interval the samples stand for: raw (the slow tick) for the last hour, then 1 min for 7 days,
 *                   then 1 h
 */
public record History(String app, Instant since, Instant until, long resolutionSeconds, List<Sample> samples) {
    public History {
        samples = List.copyOf(samples);
    }

    /** Averages over the sample's interval. */
    public record Sample(Instant at, double cpuPercent, Long throttledMicros, List<PipeRate> pipes) {
        public Sample {
            pipes = List.copyOf(pipes);
        }
    }

    public record PipeRate(String pipe, Usage.Direction direction, double bitsPerSecond, double packetsPerSecond) {}
}
