package org.poolwarden.exchange.wire;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/** Big-endian writer into a caller-owned array; the caller checks sizes first with {@link MessageCodec#size}. */
final class WireWriter {
    final byte[] buf;
    int pos;

    WireWriter(byte[] buf, int pos) {
        this.buf = buf;
        this.pos = pos;
    }

    void u8(int v) {
        buf[pos++] = (byte) v;
    }

    void u16(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    void i32(int v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    void i64(long v) {
        i32((int) (v >>> 32));
        i32((int) v);
    }

    void bytes(byte[] b) {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    void address(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        u8(a.getAddress() instanceof Inet4Address ? 4 : 6);
        bytes(ip);
        u16(a.getPort());
    }

    static int addressSize(InetSocketAddress a) {
        return 1 + a.getAddress().getAddress().length + 2;
    }
}
