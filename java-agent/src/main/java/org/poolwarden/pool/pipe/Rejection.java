package org.poolwarden.pool.pipe;

/** A peer value that was not taken as published. The published value is never passed on. */
public record Rejection(String pipeId, String hostId, String field, String value, Action action) {

    public enum Action {
        /** Replaced by a bound (e.g. demand above one tick of the pipe). */
        CLAMPED,
        /** The whole entry was ignored; the peer is counted as stale (conservatively), never at zero. */
        IGNORED_ENTRY
    }

    @Override
    public String toString() {
        return "pipe " + pipeId + ": peer " + hostId + " published " + field + "=" + value + " -> " + action;
    }
}
