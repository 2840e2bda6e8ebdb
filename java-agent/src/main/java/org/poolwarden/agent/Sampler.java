package org.poolwarden.agent;

import java.util.List;
import org.poolwarden.detect.Inventory;
import org.poolwarden.store.Sample;

/** Measures the apps (CPU, bytes per pipe, throttling, PSI) once per slow tick; implemented over the adapters' counters. */
public interface Sampler {
    List<Sample> sample(Inventory inventory, long nowNanos);
}
