package org.poolwarden.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML or JSON text into a {@link ConfigNode} tree with a location per key and value, using Jackson's streaming
 * parsers. Syntax errors and duplicate keys become {@link ConfigError}s; a syntax error ends the read (nothing after it
 * can be trusted), a duplicate key does not.
 */
final class TreeReader {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final YAMLFactory YAML = YAMLFactory.builder().build();

    private final String file;
    private final List<ConfigError> errors;

    private TreeReader(String file, List<ConfigError> errors) {
        this.file = file;
        this.errors = errors;
    }

    /** Returns the root node, or null after adding the syntax error to {@code errors}. */
    static ConfigNode read(String file, String text, ConfigFormat format, List<ConfigError> errors) {
        TreeReader r = new TreeReader(file, errors);
        JsonFactory factory = format == ConfigFormat.JSON ? JSON : YAML;
        try (JsonParser p = factory.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                errors.add(new ConfigError(new Location(file, 1, 1), "", "the file is empty"));
                return null;
            }
            ConfigNode root = r.value(p, "");
            if (p.nextToken() != null) {
                errors.add(new ConfigError(r.loc(p.currentTokenLocation()), "", format == ConfigFormat.JSON
                        ? "unexpected content after the end of the JSON document"
                        : "a second YAML document; a config file holds exactly one"));
            }
            return root;
        } catch (JsonProcessingException e) {
            errors.add(new ConfigError(r.loc(e.getLocation()), "", "syntax error: "
                    + String.valueOf(e.getOriginalMessage())
                    // SnakeYAML quotes the line with a caret under the column; the location says that already.
                    .replaceAll("\\s*in 'reader', line \\d+, column \\d+:\\n.*\\n\\s*\\^", ";")
                    .replaceAll("\\s+", " ").replaceAll(";\\s*$", "").strip()));
            return null;
        } catch (IOException e) {
            errors.add(new ConfigError(Location.ofFile(file), "", "cannot read: " + e.getMessage()));
            return null;
        }
    }

    private Location loc(JsonLocation l) {
        if (l == null) return Location.ofFile(file);
        return new Location(file, Math.max(0, l.getLineNr()), Math.max(0, l.getColumnNr()));
    }

    private ConfigNode value(JsonParser p, String path) throws IOException {
        Location at = loc(p.currentTokenLocation());
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, ConfigNode.Field> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    Location keyAt = loc(p.currentTokenLocation());
                    p.nextToken();
                    String childPath = path.isEmpty() ? name : path + "." + name;
                    ConfigNode v = value(p, childPath);
                    if (fields.containsKey(name)) {
                        errors.add(new ConfigError(keyAt, childPath, "duplicate key (first at line "
                                + fields.get(name).keyLocation().line() + ")"));
                    } else {
                        fields.put(name, new ConfigNode.Field(keyAt, v));
                    }
                }
                return new ConfigNode.MapNode(at, fields);
            }
            case START_ARRAY: {
                List<ConfigNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) items.add(value(p, path + "[" + items.size() + "]"));
                return new ConfigNode.ListNode(at, items);
            }
            case VALUE_STRING:
                return new ConfigNode.Scalar(at, p.getText());
            case VALUE_NUMBER_INT:
                return new ConfigNode.Scalar(at, p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue() : (Object) p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return new ConfigNode.Scalar(at, p.getDoubleValue());
            case VALUE_TRUE:
                return new ConfigNode.Scalar(at, Boolean.TRUE);
            case VALUE_FALSE:
                return new ConfigNode.Scalar(at, Boolean.FALSE);
            case VALUE_NULL:
                return new ConfigNode.Scalar(at, null);
            default:
                // YAML anchors/tags come through as ordinary tokens; anything else is a parser bug worth naming.
                return new ConfigNode.Scalar(at, p.getText());
        }
    }
}
