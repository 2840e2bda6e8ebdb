package org.poolwarden.exchange.wire;

/** Internal to the decoder: never escapes {@link PacketCodec#decode}. No stack trace (garbage is expected input). */
final class MalformedPacketException extends Exception {
    final DropReason reason;

    MalformedPacketException(DropReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }
}
