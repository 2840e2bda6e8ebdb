package org.poolwarden.nft;

/** Packets and bytes a counter has seen. */
public record Traffic(long packets, long bytes) {
    public static final Traffic ZERO = new Traffic(0, 0);

    public Traffic plus(Traffic o) {
        return new Traffic(packets + o.packets, bytes + o.bytes);
    }
}
