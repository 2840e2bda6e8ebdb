package org.poolwarden.exchange.wire;

import java.util.List;

/** An authenticated, fully decoded packet. */
public record Packet(int version, long sender, long sequence, long timestampMillis, int keyId, List<Message> messages) {
    public Packet {
        messages = List.copyOf(messages);
    }
}
