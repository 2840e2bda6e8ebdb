package org.poolwarden.detect;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.poolwarden.config.FlowRule.Protocol;

/**
 * Reads the host's sockets from /proc/net (root injectable for tests). The kernel prints each address as 32-bit words
 * in host byte order, so on little-endian machines the bytes of each word are reversed; {@link #parseAddress} undoes
 * that for the machine it runs on (or the order it is given).
 */
public final class SocketReader {
    private final Path netRoot;
    private final ByteOrder order;
    private long malformedLines;

    public SocketReader(Path netRoot, ByteOrder hostOrder) {
        this.netRoot = netRoot;
        this.order = hostOrder;
    }

    public static SocketReader system() {
        return new SocketReader(Path.of("/proc/net"), ByteOrder.nativeOrder());
    }

    /** All TCP and UDP sockets, IPv4 and IPv6; a missing file (no IPv6) is skipped. */
    public List<Socket> read() throws IOException {
        List<Socket> out = new ArrayList<>();
        read("tcp", Protocol.TCP, out);
        read("tcp6", Protocol.TCP, out);
        read("udp", Protocol.UDP, out);
        read("udp6", Protocol.UDP, out);
        return out;
    }

    public long malformedLines() {
        return malformedLines;
    }

    private void read(String file, Protocol proto, List<Socket> out) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(netRoot.resolve(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return;
        }
        for (int i = 1; i < lines.size(); i++) { // line 0 is the header
            Socket s = parseLine(lines.get(i), proto, order);
            if (s == null) malformedLines++;
            else out.add(s);
        }
    }

    /** "sl local rem st tx:rx tr:when retr uid timeout inode ..."; null when malformed. */
    static Socket parseLine(String line, Protocol proto, ByteOrder order) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10) return null;
        try {
            String[] local = f[1].split(":"), remote = f[2].split(":");
            if (local.length != 2 || remote.length != 2) return null;
            byte[] la = parseAddress(local[0], order), ra = parseAddress(remote[0], order);
            if (la == null || ra == null) return null;
            return new Socket(proto, la, Integer.parseInt(local[1], 16), ra, Integer.parseInt(remote[1], 16),
                    Integer.parseInt(f[3], 16), (int) Long.parseLong(f[7]), Long.parseLong(f[9]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** 8 or 32 hex digits, as 32-bit words in the given host order, to network-order bytes. */
    static byte[] parseAddress(String hex, ByteOrder order) {
        if (hex.length() != 8 && hex.length() != 32) return null;
        byte[] b = new byte[hex.length() / 2];
        for (int w = 0; w < b.length / 4; w++) {
            long word = Long.parseLong(hex.substring(w * 8, w * 8 + 8), 16);
            for (int k = 0; k < 4; k++) {
                int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * k : 8 * (3 - k);
                b[w * 4 + k] = (byte) (word >>> shift);
            }
        }
        return b;
    }
}
