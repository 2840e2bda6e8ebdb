package org.poolwarden.os;

/**
 * Linux errno values (x86_64/generic numbering) by name. Only the numbers are ABI; the descriptions are ours, short,
 * so messages stay one line and do not depend on the C library's locale.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ENODATA = 61;
    public static final int EPROTO = 71;
    public static final int EMSGSIZE = 90;
    public static final int EPROTONOSUPPORT = 93;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int ENOBUFS = 105;
    public static final int ETIMEDOUT = 110;

    private static final String[] NAMES = new String[134];
    private static final String[] TEXTS = new String[134];

    static {
        def(EPERM, "EPERM", "operation not permitted");
        def(ENOENT, "ENOENT", "no such file or directory");
        def(ESRCH, "ESRCH", "no such process");
        def(EINTR, "EINTR", "interrupted system call");
        def(EIO, "EIO", "input/output error");
        def(6, "ENXIO", "no such device or address");
        def(7, "E2BIG", "argument list too long");
        def(EBADF, "EBADF", "bad file descriptor");
        def(10, "ECHILD", "no child processes");
        def(EAGAIN, "EAGAIN", "resource temporarily unavailable");
        def(ENOMEM, "ENOMEM", "cannot allocate memory");
        def(EACCES, "EACCES", "permission denied");
        def(EFAULT, "EFAULT", "bad address");
        def(EBUSY, "EBUSY", "device or resource busy");
        def(EEXIST, "EEXIST", "file exists");
        def(18, "EXDEV", "invalid cross-device link");
        def(ENODEV, "ENODEV", "no such device");
        def(ENOTDIR, "ENOTDIR", "not a directory");
        def(21, "EISDIR", "is a directory");
        def(EINVAL, "EINVAL", "invalid argument");
        def(23, "ENFILE", "too many open files in system");
        def(24, "EMFILE", "too many open files");
        def(27, "EFBIG", "file too large");
        def(ENOSPC, "ENOSPC", "no space left on device");
        def(EROFS, "EROFS", "read-only file system");
        def(32, "EPIPE", "broken pipe");
        def(ERANGE, "ERANGE", "numerical result out of range");
        def(ENOSYS, "ENOSYS", "function not implemented");
        def(ENOTEMPTY, "ENOTEMPTY", "directory not empty");
        def(ENODATA, "ENODATA", "no data available");
        def(EPROTO, "EPROTO", "protocol error");
        def(88, "ENOTSOCK", "socket operation on non-socket");
        def(EMSGSIZE, "EMSGSIZE", "message too long");
        def(EPROTONOSUPPORT, "EPROTONOSUPPORT", "protocol not supported");
        def(EOPNOTSUPP, "EOPNOTSUPP", "operation not supported");
        def(EAFNOSUPPORT, "EAFNOSUPPORT", "address family not supported");
        def(EADDRINUSE, "EADDRINUSE", "address already in use");
        def(99, "EADDRNOTAVAIL", "cannot assign requested address");
        def(ENOBUFS, "ENOBUFS", "no buffer space available");
        def(ETIMEDOUT, "ETIMEDOUT", "connection timed out");
        def(111, "ECONNREFUSED", "connection refused");
        def(125, "ECANCELED", "operation canceled");
    }

    private Errno() {
    }

    private static void def(int value, String name, String text) {
        NAMES[value] = name;
        TEXTS[value] = text;
    }

    /** The symbolic name, or {@code "errno N"} for a value we have no name for. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e] : "errno " + e;
    }

    public static String description(int errno) {
        int e = Math.abs(errno);
        return e < TEXTS.length && TEXTS[e] != null ? TEXTS[e] : "unknown error";
    }
}
