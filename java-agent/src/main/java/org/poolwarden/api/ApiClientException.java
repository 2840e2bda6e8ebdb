package org.poolwarden.api;

/** A call through {@link HttpAgentApi} that got no usable answer. The message is one line for people. */
public final class ApiClientException extends RuntimeException {
    public enum Kind {
        /** Nothing listens at the address, or it did not answer in time. */
        UNREACHABLE,
        /** The agent refused the token. */
        UNAUTHORIZED,
        /** The agent said the request was malformed (400). */
        BAD_REQUEST,
        /** The agent answered with another error, or with something that is not its API. */
        FAILED
    }

    private final Kind kind;
    private final ApiError error;

    public ApiClientException(Kind kind, String message, ApiError error) {
        super(message);
        this.kind = kind;
        this.error = error;
    }

    public Kind kind() {
        return kind;
    }

    /** The agent's error answer; null when there was none. */
    public ApiError error() {
        return error;
    }
}
