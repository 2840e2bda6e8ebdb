package org.poolwarden.os;

/**
 * The one error type for anything the kernel (or a kernel-facing library) refused.
 * The message always names the operation, the object it was applied to and, when there is one, the errno by name,
 * so a one-line log or CLI error is enough to understand what failed.
 */
public class KernelException extends RuntimeException {
    private final String operation;
    private final String target;
    private final int errno;

    public KernelException(String operation, String target, int errno) {
        this(operation, target, errno, null, null);
    }

    public KernelException(String operation, String target, int errno, String detail) {
        this(operation, target, errno, detail, null);
    }

    public KernelException(String operation, String target, int errno, String detail, Throwable cause) {
        super(format(operation, target, errno, detail), cause);
        this.operation = operation;
        this.target = target;
        this.errno = errno;
    }

    /** What was attempted, e.g. {@code "setns"} or {@code "nft run"}. */
    public String operation() {
        return operation;
    }

    /** What it was attempted on, e.g. a path, an interface or a command. */
    public String target() {
        return target;
    }

    /** The errno, or 0 when the failure carries none (libnftables reports text, not errno). */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name ({@code "EPERM"}), or {@code null} when there is no errno. */
    public String errnoName() {
        return errno == 0 ? null : Errno.name(errno);
    }

    public boolean is(int expected) {
        return errno == expected;
    }

    private static String format(String operation, String target, int errno, String detail) {
        StringBuilder sb = new StringBuilder(operation);
        if (target != null && !target.isEmpty()) {
            sb.append(' ').append(target);
        }
        sb.append(" failed");
        if (errno != 0) {
            sb.append(": ").append(Errno.name(errno)).append(" (").append(Errno.description(errno)).append(')');
        }
        if (detail != null && !detail.isBlank()) {
            sb.append(errno != 0 ? "; " : ": ").append(detail.strip());
        }
        return sb.toString();
    }
}
