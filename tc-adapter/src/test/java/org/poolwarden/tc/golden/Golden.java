package org.poolwarden.tc.golden;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A golden file: the tc command and the messages it sent, as captured by src/test/golden/capture.sh. */
public record Golden(String command, List<byte[]> messages) {
    public static Golden load(String name) {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name + ".golden")) {
            if (in == null) {
                throw new IllegalStateException("no golden file " + name + " (run src/test/golden/capture.sh)");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            String command = null;
            List<byte[]> messages = new ArrayList<>();
            StringBuilder hex = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("# ")) {
                    command = line.substring(2);
                } else if (line.equals("message")) {
                    if (hex != null) {
                        messages.add(parse(hex));
                    }
                    hex = new StringBuilder();
                } else if (hex != null) {
                    hex.append(line.replace(" ", ""));
                }
            }
            if (hex != null) {
                messages.add(parse(hex));
            }
            return new Golden(command, messages);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String psched() {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/psched")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] parse(CharSequence hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex.subSequence(2 * i, 2 * i + 2).toString(), 16);
        }
        return b;
    }

    /** Zeroes nlmsg_seq and nlmsg_pid, which differ per run. */
    public static byte[] normalise(byte[] message) {
        byte[] b = message.clone();
        for (int i = 8; i < 16; i++) {
            b[i] = 0;
        }
        return b;
    }
}
