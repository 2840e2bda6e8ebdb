package org.poolwarden.exchange.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Bounds-checked big-endian reader over a byte range; every overrun is a {@link MalformedPacketException}. */
final class WireReader {
    private final byte[] buf;
    private int pos;
    private final int limit;

    WireReader(byte[] buf, int offset, int limit) {
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return limit - pos;
    }

    private void need(int n, String what) throws MalformedPacketException {
        if (n < 0 || limit - pos < n) {
            throw new MalformedPacketException(DropReason.TRUNCATED, what + " needs " + n + " bytes, " + (limit - pos) + " left");
        }
    }

    int u8(String what) throws MalformedPacketException {
        need(1, what);
        return buf[pos++] & 0xff;
    }

    int u16(String what) throws MalformedPacketException {
        need(2, what);
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    int i32(String what) throws MalformedPacketException {
        need(4, what);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long i64(String what) throws MalformedPacketException {
        long hi = i32(what) & 0xffffffffL;
        long lo = i32(what) & 0xffffffffL;
        return (hi << 32) | lo;
    }

    byte[] bytes(int n, String what) throws MalformedPacketException {
        need(n, what);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    String utf8(int n, String what) throws MalformedPacketException {
        need(n, what);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, pos, n)).toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw new MalformedPacketException(DropReason.MALFORMED, what + " is not valid UTF-8");
        }
    }

    InetSocketAddress address(String what) throws MalformedPacketException {
        int family = u8(what + ".family");
        int len;
        if (family == 4) {
            len = 4;
        } else if (family == 6) {
            len = 16;
        } else {
            throw new MalformedPacketException(DropReason.MALFORMED, what + ".family " + family + " is neither 4 nor 6");
        }
        byte[] ip = bytes(len, what + ".ip");
        int port = u16(what + ".port");
        try {
            // getByAddress with a literal never does a lookup
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new MalformedPacketException(DropReason.MALFORMED, what + " bad address length");
        }
    }
}
