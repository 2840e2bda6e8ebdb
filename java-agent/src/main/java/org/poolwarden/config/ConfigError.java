package org.poolwarden.config;

/**
 * One problem in a config file. {@code field} is the path of the offending value in the canonical model
 * (e.g. {@code apps[1].policy.cpu.weight}), so the same error reads the same whether the file was YAML, JSON or XML.
 */
public record ConfigError(Location location, String field, String message) implements Comparable<ConfigError> {

    /** The one-line form every tool prints: {@code file:line:col: field: message}. */
    @Override
    public String toString() {
        return location + ": " + (field.isEmpty() ? "(file)" : field) + ": " + message;
    }

    @Override
    public int compareTo(ConfigError o) {
        int c = location.file().compareTo(o.location.file());
        if (c == 0) c = Integer.compare(location.line(), o.location.line());
        if (c == 0) c = Integer.compare(location.column(), o.location.column());
        if (c == 0) c = field.compareTo(o.field);
        return c;
    }
}
