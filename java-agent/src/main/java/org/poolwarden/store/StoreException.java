package org.poolwarden.store;

/** The history store failed; names what it was doing and on which database file. */
public final class StoreException extends RuntimeException {
    public StoreException(String operation, String path, Throwable cause) {
        super(operation + " on " + path + ": " + cause.getMessage(), cause);
    }
}
