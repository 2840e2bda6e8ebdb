package org.poolwarden.config;

/**
 * Recognises traffic. Every attribute that is set must match; unset ones (null) match anything; at least one is set.
 */
public record FlowRule(Protocol protocol, Cidr localAddress, Cidr remoteAddress, PortRange localPort,
                       PortRange remotePort) {

    public enum Protocol { TCP, UDP, SCTP, ICMP, ANY }

    /** Ports only exist for these; a port with ICMP is a mistake we report. */
    public static boolean hasPorts(Protocol p) {
        return p == null || p == Protocol.TCP || p == Protocol.UDP || p == Protocol.SCTP || p == Protocol.ANY;
    }
}
