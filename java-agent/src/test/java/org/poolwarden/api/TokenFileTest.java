package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenFileTest {
    @TempDir
    Path dir;

    @Test
    void createsAPrivateRandomTokenOnceAndKeepsIt() throws Exception {
        Path f = dir.resolve("sub/api.token");
        String t = TokenFile.loadOrCreate(f);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(64, t.length());
        assertEquals(t, TokenFile.loadOrCreate(f), "an existing token is kept");
        assertEquals(t, TokenFile.read(f));
        assertNotEquals(t, TokenFile.loadOrCreate(dir.resolve("other.token")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-r-----", "rw----r--", "rw-rw----", "rw-----w-", "rw-r--r--"})
    void refusesAFileGroupOrOthersCanReadOrWrite(String mode) throws Exception {
        Path f = dir.resolve("api.token");
        Files.writeString(f, "secret\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        TokenFile.TokenFileException e = assertThrows(TokenFile.TokenFileException.class,
                () -> TokenFile.loadOrCreate(f));
        assertEquals("the API token file " + f + " is readable or writable by group or others (mode " + mode
                + "); fix it with: chmod 600 " + f, e.getMessage());
    }

    @Test
    void readErrorsAreOneLineNamingTheFile() throws Exception {
        Path missing = dir.resolve("none");
        assertEquals("no API token file " + missing + " (the agent creates it when it starts)",
                assertThrows(TokenFile.TokenFileException.class, () -> TokenFile.read(missing)).getMessage());
        Path blank = dir.resolve("blank");
        Files.writeString(blank, "  \n");
        assertTrue(assertThrows(TokenFile.TokenFileException.class, () -> TokenFile.read(blank)).getMessage()
                .startsWith("the API token file " + blank + " must hold one token"));
        Path d = dir.resolve("adir");
        Files.createDirectory(d);
        assertTrue(assertThrows(TokenFile.TokenFileException.class, () -> TokenFile.checkPrivate(d)).getMessage()
                .contains("is not a regular file"));
    }
}
