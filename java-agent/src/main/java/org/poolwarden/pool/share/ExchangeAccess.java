package org.poolwarden.pool.share;

import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.poolwarden.exchange.ExchangeNode;
import org.poolwarden.exchange.membership.MemberView;
import org.poolwarden.exchange.wire.Message;

/**
 * What the coordinator needs from the exchange: publish own entries, read anybody's latest entry, read membership.
 * Calls happen on the node's thread (the coordinator runs there, like the node itself).
 */
public interface ExchangeAccess {
    long selfId();

    void publish(String key, byte[] value);

    Optional<Message.Entry> entry(long origin, String key);

    List<MemberView> members();

    /**
     * Over a node that may be created after the coordinator (a Netty-driven node is built with its listener);
     * {@code nodeClock} is the node's own monotonic clock.
     */
    static ExchangeAccess of(long selfId, Supplier<ExchangeNode> node, LongSupplier nodeClock) {
        return new ExchangeAccess() {
            @Override
            public long selfId() {
                return selfId;
            }

            @Override
            public void publish(String key, byte[] value) {
                node.get().publish(key, value, nodeClock.getAsLong());
            }

            @Override
            public Optional<Message.Entry> entry(long origin, String key) {
                return node.get().entry(origin, key);
            }

            @Override
            public List<MemberView> members() {
                return node.get().members();
            }
        };
    }
}
