package org.poolwarden.exchange.wire;

/**
 * Record type codes on the wire. Append-only: a code is never reused or renumbered, so an old agent
 * can skip (and count) the records a newer one sends and still use the rest of the packet.
 */
public final class RecordType {
    public static final int PING = 1;
    public static final int ACK = 2;
    public static final int NACK = 3;
    public static final int PING_REQ = 4;
    public static final int ALIVE = 5;
    public static final int SUSPECT = 6;
    public static final int DEAD = 7;
    public static final int ENTRY = 8;
    public static final int DIGEST = 9;
    public static final int JOIN = 10;
    /** Lazy push: ids of entries the sender has (Plumtree's IHAVE). Since wire version 1, agent 0.2. */
    public static final int IHAVE = 11;
    /** Lazy push: ids of entries the sender lacks and asks the receiver for (Plumtree's IWANT/GRAFT). */
    public static final int IWANT = 12;
    // next free code: 13

    private RecordType() {
    }
}
