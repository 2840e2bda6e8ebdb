package org.poolwarden.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The API's bearer token: one line in a file only its owner can read. The agent creates it (mode 0600, 256 random
 * bits) when missing and refuses a file that group or others can read, since anyone holding the token can switch the
 * host to enforce or change policies. The CLI only reads it.
 */
public final class TokenFile {
    public static final Path DEFAULT = Path.of("/etc/poolwarden/api.token");
    /** 256 bits: far beyond guessing, and short enough to paste into a Prometheus credentials file. */
    static final int TOKEN_BYTES = 32;

    private TokenFile() {}

    /** A token file that cannot be used; the message is one line naming the file and what to do. */
    public static final class TokenFileException extends Exception {
        public TokenFileException(String message) {
            super(message);
        }
    }

    /** For the agent: reads the token, creating the file when it is missing; refuses a file others can read. */
    public static String loadOrCreate(Path file) throws TokenFileException {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            String token = HexFormat.of().formatHex(random());
            // Created with its final mode in one call: there is no moment at which the token is readable by others.
            Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------"))), token + "\n", StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException e) {
            // the usual case: use it
        } catch (IOException e) {
            throw new TokenFileException("cannot create the API token file " + file + ": " + e.getMessage());
        }
        checkPrivate(file);
        return read(file);
    }

    /** Refuses a token file (or symlink target) that group or others can read or write, or that is not a file. */
    public static void checkPrivate(Path file) throws TokenFileException {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(file, PosixFileAttributes.class);
        } catch (IOException e) {
            throw new TokenFileException("cannot read the API token file " + file + ": " + e.getMessage());
        }
        if (!a.isRegularFile()) throw new TokenFileException("the API token file " + file + " is not a regular file");
        Set<PosixFilePermission> p = a.permissions();
        if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new TokenFileException("the API token file " + file + " is readable or writable by group or others"
                    + " (mode " + PosixFilePermissions.toString(p) + "); fix it with: chmod 600 " + file);
        }
    }

    /** For the CLI: reads the token; a missing or unreadable file is a one-line error naming it. */
    public static String read(Path file) throws TokenFileException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new TokenFileException("no API token file " + file + " (the agent creates it when it starts)");
        } catch (AccessDeniedException e) {
            throw new TokenFileException("cannot read the API token file " + file + ": permission denied (run as"
                    + " root, e.g. with sudo)");
        } catch (IOException e) {
            throw new TokenFileException("cannot read the API token file " + file + ": " + e.getMessage());
        }
        if (text.isEmpty() || text.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new TokenFileException("the API token file " + file + " must hold one token of printable"
                    + " characters, without spaces");
        }
        return text;
    }

    private static byte[] random() {
        byte[] b = new byte[TOKEN_BYTES];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
