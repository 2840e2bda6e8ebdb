package org.poolwarden.os;

import java.nio.ByteBuffer;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls poolwarden needs. Public only because JNR-FFI generates its implementation in another class
 * loader; everything outside this package goes through the wrappers ({@link NetlinkSocket}, {@link Netns}, {@link Native}).
 */
public interface LibC {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, @In ByteBuffer addr, int addrlen);

    @SaveError
    int getsockname(int fd, @Out ByteBuffer addr, @In @Out int[] addrlen);

    @SaveError
    int setsockopt(int fd, int level, int optname, @In int[] optval, int optlen);

    @SaveError
    long sendto(int fd, @In ByteBuffer buf, long len, int flags, @In ByteBuffer addr, int addrlen);

    @SaveError
    long recvfrom(int fd, @Out ByteBuffer buf, long len, int flags, @Out ByteBuffer addr, @In @Out int[] addrlen);

    @SaveError
    int close(int fd);

    @SaveError
    int open(String path, int flags);

    @SaveError
    int setns(int fd, int nstype);

    @SaveError
    int unshare(int flags);

    int geteuid();

    int getpid();

    @SaveError
    long syscall(long number);
}
