package org.poolwarden.exchange.transport;

import java.net.InetSocketAddress;

/**
 * The port the exchange sends through. Implementations: {@code NettyUdpTransport} (real UDP) and the simulator's
 * network. Receiving is the other direction: the transport calls {@code ExchangeNode.receive} on the node's thread.
 */
public interface Transport {
    /** Best effort, like UDP: may drop; must not block; must not throw for an unreachable peer. */
    void send(InetSocketAddress to, byte[] packet);
}
