package org.poolwarden.config;

/**
 * A network path with a capacity, mapped to one interface on this host.
 *
 * @param iface               the interface name (key {@code interface} in files)
 * @param capacityBitsPerSecond this host's capacity on the pipe, in bits per second
 */
public record Pipe(String name, String iface, long capacityBitsPerSecond) {}
