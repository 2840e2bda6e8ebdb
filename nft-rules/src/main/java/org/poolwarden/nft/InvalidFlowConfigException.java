package org.poolwarden.nft;

/** Bad desired state: one line naming the field (e.g. {@code rules[3].remotePort}) and the offending value. */
public final class InvalidFlowConfigException extends IllegalArgumentException {
    private final String field;

    public InvalidFlowConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The path of the offending field, e.g. {@code apps[1].classId}. */
    public String field() {
        return field;
    }
}
