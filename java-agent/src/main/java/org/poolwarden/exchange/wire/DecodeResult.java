package org.poolwarden.exchange.wire;

/** Either a packet (with the number of unknown records skipped) or the reason it was dropped. */
public record DecodeResult(Packet packet, DropReason drop, int skippedRecords, String detail) {
    static DecodeResult ok(Packet p, int skipped) {
        return new DecodeResult(p, null, skipped, "");
    }

    static DecodeResult dropped(DropReason reason, String detail) {
        return new DecodeResult(null, reason, 0, detail);
    }

    public boolean accepted() {
        return packet != null;
    }
}
