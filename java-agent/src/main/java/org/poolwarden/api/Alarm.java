package org.poolwarden.api;

import java.time.Instant;
import org.poolwarden.policy.InsufficientResources;

/**
 * A condition that lasts and that an operator should see.
 *
 * @param kind     stable machine name, e.g. {@code insufficient_resources}
 * @param resource what it is about: {@code cpu}, {@code pipe:NAME}, an app name
 * @param message  one line for people
 * @param since    when it was first raised (it stays raised while the condition lasts)
 */
public record Alarm(String kind, String resource, String message, Instant since) {
    public static final String INSUFFICIENT_RESOURCES = "insufficient_resources";

    /** The seed's "insufficient resources" alarm, from the policy calculator's plan. */
    public static Alarm of(InsufficientResources r, Instant since) {
        return new Alarm(INSUFFICIENT_RESOURCES, r.resource(), r.describe(), since);
    }
}
