package org.poolwarden.pool.share;

/** An exchange entry value this wiring cannot read; the entry is ignored and counted, never half-applied. */
public final class MalformedShareValueException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedShareValueException(String message) {
        super(message, null, false, false); // a peer's garbage is not worth a stack trace
    }
}
