package org.poolwarden.exchange.dissemination;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PacketCodec;

/**
 * Membership news waiting to be gossiped (memberlist's TransmitLimitedQueue): one item per member, newer news
 * replaces older, each item is sent a limited number of times, least-sent first, piggybacked on any packet.
 */
public final class BroadcastQueue {
    private static final class Item {
        final Message message;
        final long order;
        int transmits;

        Item(Message message, long order) {
            this.message = message;
            this.order = order;
        }
    }

    private final Map<Long, Item> byMember = new HashMap<>();
    private long orderSeq;

    public void enqueue(long member, Message message) {
        byMember.put(member, new Item(message, orderSeq++));
    }

    public int size() {
        return byMember.size();
    }

    public boolean isEmpty() {
        return byMember.isEmpty();
    }

    /** Whether news about this member is still queued (the leave path waits for its own). */
    public boolean contains(long member) {
        return byMember.containsKey(member);
    }

    /**
     * Adds as many items as fit in {@code byteBudget} bytes of the packet, least transmitted and then newest first.
     * Returns the number added.
     */
    public int fill(PacketCodec.PacketBuilder b, int byteBudget, int transmitLimit) {
        if (byMember.isEmpty()) {
            return 0;
        }
        List<Map.Entry<Long, Item>> items = new ArrayList<>(byMember.entrySet());
        items.sort((x, y) -> x.getValue().transmits != y.getValue().transmits
                ? Integer.compare(x.getValue().transmits, y.getValue().transmits)
                : Long.compare(y.getValue().order, x.getValue().order));
        int startRemaining = b.remainingBytes();
        int added = 0;
        for (Map.Entry<Long, Item> e : items) {
            Item it = e.getValue();
            if (startRemaining - b.remainingBytes() + org.poolwarden.exchange.wire.MessageCodec.size(it.message) > byteBudget) {
                continue;
            }
            if (!b.tryAdd(it.message)) {
                if (b.count() >= PacketCodec.MAX_RECORDS) {
                    break;
                }
                continue;
            }
            added++;
            it.transmits++;
            if (it.transmits >= transmitLimit) {
                byMember.remove(e.getKey());
            }
        }
        return added;
    }
}
