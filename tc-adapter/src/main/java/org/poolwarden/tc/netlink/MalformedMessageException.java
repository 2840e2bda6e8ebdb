package org.poolwarden.tc.netlink;

/** A netlink message from the kernel that does not parse (a bug on one side; never expected in practice). */
public final class MalformedMessageException extends RuntimeException {
    public MalformedMessageException(String message) {
        super(message);
    }
}
