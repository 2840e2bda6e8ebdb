package org.poolwarden.config;

/** A place in a config file; line and column are 1-based (0 when unknown, e.g. a whole-file error). */
public record Location(String file, int line, int column) {
    public static Location ofFile(String file) {
        return new Location(file, 0, 0);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
