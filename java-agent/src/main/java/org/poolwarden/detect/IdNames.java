package org.poolwarden.detect;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;

/**
 * User and group names to ids, from passwd and group files (no NSS: LDAP users are matched by uid). Re-read only
 * when a file's modification time changes, so a scan costs two stat calls.
 */
public final class IdNames {
    private final Path passwd;
    private final Path group;
    private FileTime passwdTime, groupTime;
    private Map<String, Integer> users = Map.of(), groups = Map.of();

    public IdNames(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    public static IdNames system() {
        return new IdNames(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /** Null when the user is unknown. */
    public Integer uid(String user) {
        refresh();
        return users.get(user);
    }

    public Integer gid(String groupName) {
        refresh();
        return groups.get(groupName);
    }

    private void refresh() {
        FileTime pt = mtime(passwd), gt = mtime(group);
        if (!java.util.Objects.equals(pt, passwdTime)) {
            users = parse(passwd);
            passwdTime = pt;
        }
        if (!java.util.Objects.equals(gt, groupTime)) {
            groups = parse(group);
            groupTime = gt;
        }
    }

    private static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return null;
        }
    }

    /** name:x:id:... lines; the third field is the id in both files. */
    static Map<String, Integer> parse(Path p) {
        Map<String, Integer> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length < 3 || f[0].isEmpty() || line.startsWith("#")) continue;
                try {
                    m.putIfAbsent(f[0], (int) Long.parseLong(f[2]));
                } catch (NumberFormatException e) {
                    // a malformed line is skipped, like getpwnam does
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return m;
    }
}
