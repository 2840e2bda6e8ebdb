package org.poolwarden.detect;

import org.poolwarden.config.FlowRule;

/**
 * One socket from /proc/net/{tcp,tcp6,udp,udp6}. Addresses are in network byte order (4 or 16 bytes).
 *
 * @param state the kernel's TCP state number (10 = LISTEN); 7 for unconnected UDP
 */
public record Socket(FlowRule.Protocol protocol, byte[] localAddress, int localPort, byte[] remoteAddress,
                     int remotePort, int state, int uid, long inode) {
    public static final int TCP_LISTEN = 10;
}
