package org.poolwarden.policy;

import java.util.List;

/**
 * The "insufficient resources" alarm (seed 004): the bookings on this host exceed what it has, so they were scaled
 * down by priority instead of failing. Raised every time a plan is computed while the shortage lasts.
 *
 * @param resource  {@code cpu} or {@code pipe:NAME}
 * @param unit      of the amounts: {@code basis-points-of-host} for CPU, {@code bytes/s} for pipes
 * @param booked    the sum of the bookings
 * @param available what the host has
 * @param shortfalls the apps that got less than they booked
 */
public record InsufficientResources(String resource, String unit, long booked, long available,
                                    List<Shortfall> shortfalls) {
    public InsufficientResources {
        shortfalls = List.copyOf(shortfalls);
    }

    public record Shortfall(String app, int priority, long booked, long granted) {}

    /** One line for logs and events. */
    public String describe() {
        return "insufficient resources on " + resource + ": booked " + booked + " " + unit + ", available "
                + available + "; scaled down by priority: " + shortfalls.stream()
                .map(s -> s.app() + " " + s.granted() + "/" + s.booked()).toList();
    }
}
