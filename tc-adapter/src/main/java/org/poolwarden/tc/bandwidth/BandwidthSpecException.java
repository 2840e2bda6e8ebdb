package org.poolwarden.tc.bandwidth;

/** A desired tree that cannot be applied; names the offending field (e.g. {@code egress.apps[1].rate}). */
public final class BandwidthSpecException extends IllegalArgumentException {
    private final String field;

    public BandwidthSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
