package org.poolwarden.tc.bandwidth;

import java.net.Inet4Address;

import org.poolwarden.tc.filter.U32Selector;

/**
 * IPv4 header fields a u32 filter can match (IP header without options). Null fields match anything; a port
 * needs the protocol (6 TCP or 17 UDP). Never the packet mark: this kernel's u32 ignores "match mark".
 */
public record FlowMatch(Integer protocol, Inet4Address src, int srcPrefix, Inet4Address dst, int dstPrefix,
                        Integer sport, Integer dport) {
    public static FlowMatch dport(int protocol, int port) {
        return new FlowMatch(protocol, null, 0, null, 0, null, port);
    }

    public static FlowMatch sport(int protocol, int port) {
        return new FlowMatch(protocol, null, 0, null, 0, port, null);
    }

    public static FlowMatch dst(Inet4Address addr, int prefix) {
        return new FlowMatch(null, null, 0, addr, prefix, null, null);
    }

    public static FlowMatch src(Inet4Address addr, int prefix) {
        return new FlowMatch(null, addr, prefix, null, 0, null, null);
    }

    /** The selector, built in iproute2's key order (protocol, src, dst, sport, dport). */
    public U32Selector selector() {
        U32Selector s = U32Selector.create();
        if (protocol != null) {
            s.protocol(protocol);
        }
        if (src != null) {
            s.src(src, srcPrefix);
        }
        if (dst != null) {
            s.dst(dst, dstPrefix);
        }
        if (sport != null) {
            s.sport(sport, 0xffff);
        }
        if (dport != null) {
            s.dport(dport, 0xffff);
        }
        if (s.keys().isEmpty()) {
            return U32Selector.matchAll();
        }
        return s;
    }

    /** Null when valid, else what is wrong (for the caller to prefix with the field's path). */
    String problem() {
        if (protocol != null && (protocol < 0 || protocol > 255)) {
            return "protocol " + protocol + " is not 0..255";
        }
        if (src != null && (srcPrefix < 0 || srcPrefix > 32)) {
            return "srcPrefix " + srcPrefix + " is not 0..32";
        }
        if (dst != null && (dstPrefix < 0 || dstPrefix > 32)) {
            return "dstPrefix " + dstPrefix + " is not 0..32";
        }
        for (Integer port : new Integer[] {sport, dport}) {
            if (port != null && (port < 0 || port > 65535)) {
                return "port " + port + " is not 0..65535";
            }
        }
        if ((sport != null || dport != null) && (protocol == null || (protocol != 6 && protocol != 17 && protocol != 132))) {
            return "a port match needs protocol 6 (tcp), 17 (udp) or 132 (sctp)";
        }
        return null;
    }
}
