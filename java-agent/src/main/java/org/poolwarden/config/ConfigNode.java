package org.poolwarden.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed config document that keeps the location of every key and value. Jackson's JsonNode drops locations, and
 * databind stops at the first error; with this tree the binder can report every problem with its file:line:col.
 */
public sealed interface ConfigNode {
    Location location();

    /** What the user wrote, in words, for "expected X but found Y" messages. */
    String describe();

    record Field(Location keyLocation, ConfigNode value) {}

    record MapNode(Location location, Map<String, Field> fields) implements ConfigNode {
        public MapNode {
            fields = new LinkedHashMap<>(fields);
        }

        @Override
        public String describe() {
            return "an object";
        }
    }

    record ListNode(Location location, List<ConfigNode> items) implements ConfigNode {
        public ListNode {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A scalar: value is a String, Long, java.math.BigInteger, Double, Boolean, or null. */
    record Scalar(Location location, Object value) implements ConfigNode {
        @Override
        public String describe() {
            if (value == null) return "null";
            if (value instanceof String s) return "the text \"" + s + "\"";
            if (value instanceof Boolean b) return "the boolean " + b;
            return "the number " + value;
        }
    }
}
