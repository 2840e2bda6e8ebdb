package org.poolwarden.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.Location;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.config.Rates;

/**
 * The API's JSON forms. Answers are the port's records written by Jackson, with a few explicit forms so the wire
 * format does not depend on Java names: instants as RFC 3339 text, enums in lower case, a policy exactly as in the
 * config file (amounts as "30mbit" or "25%"), config errors flat with their one-line text.
 *
 * <p>Requests are read from a tree by hand, not by databind, so that every problem names its field.
 */
public final class ApiJson {
    /** Shared and thread-safe once configured. Readers ignore unknown fields: a newer agent may add some. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addModule(module())
            .build();

    static final Set<String> POLICY_KEYS = Set.of("priority", "cpu", "bandwidth");
    static final Set<String> CPU_KEYS = Set.of("weight", "percent", "cap");
    static final Set<String> BANDWIDTH_KEYS = Set.of("pipe", "booking", "burst");

    private ApiJson() {}

    /** A request body that could not be read into the request's shape: 400, with the field. */
    public static final class BadRequest extends Exception {
        private final String field;

        public BadRequest(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }

        @Override
        public String toString() {
            return field.isEmpty() ? getMessage() : field + ": " + getMessage();
        }
    }

    /** Parses a request body; malformed JSON is reported with its line and column. */
    public static JsonNode readBody(byte[] body) throws BadRequest {
        if (body.length == 0) throw new BadRequest("", "the request needs a JSON body");
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || n.isMissingNode()) throw new BadRequest("", "the request needs a JSON body");
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new BadRequest("", "malformed JSON" + where + ": " + e.getOriginalMessage().split("\n", 2)[0]);
        } catch (IOException e) {
            throw new BadRequest("", "unreadable body: " + e.getMessage());
        }
    }

    public static String write(Object answer) {
        try {
            return MAPPER.writeValueAsString(answer);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + answer.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public static <T> T read(String json, Class<T> type) throws IOException {
        return MAPPER.readValue(json, type);
    }

    // ---- policy ----

    public static ObjectNode policyToJson(Policy p) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("priority", p.priority());
        if (p.cpu() != null) {
            ObjectNode c = o.putObject("cpu");
            if (p.cpu().weight() != null) c.put("weight", p.cpu().weight());
            if (p.cpu().percent() != null) c.put("percent", p.cpu().percent());
            if (p.cpu().capPercent() != null) c.put("cap", p.cpu().capPercent());
        }
        ArrayNode bw = o.putArray("bandwidth");
        for (BandwidthPolicy b : p.bandwidth()) {
            ObjectNode e = bw.addObject();
            e.put("pipe", b.pipe());
            if (b.booking() != null) e.put("booking", b.booking().toString());
            if (b.burst() != null) e.put("burst", b.burst().toString());
        }
        return o;
    }

    /**
     * Reads a policy of the config file's shape ({@code {"priority":7,"cpu":{"weight":200},"bandwidth":[{"pipe":
     * "wan","booking":"30mbit","burst":"50%"}]}}); JSON null is "no policy". Checks the shape only (fields, types,
     * syntax of rates); values are checked by {@link PolicyValidator}.
     */
    public static Policy parsePolicy(JsonNode n) throws BadRequest {
        if (n.isNull()) return null;
        ObjectNode o = object(n, "", POLICY_KEYS);
        int priority = Policy.DEFAULT_PRIORITY;
        if (o.has("priority")) priority = integer(o.get("priority"), "priority");
        CpuPolicy cpu = null;
        if (o.has("cpu") && !o.get("cpu").isNull()) {
            ObjectNode c = object(o.get("cpu"), "cpu", CPU_KEYS);
            Integer w = c.has("weight") && !c.get("weight").isNull() ? integer(c.get("weight"), "cpu.weight") : null;
            Double p = c.has("percent") && !c.get("percent").isNull() ? percent(c.get("percent"), "cpu.percent") : null;
            Double cap = c.has("cap") && !c.get("cap").isNull() ? percent(c.get("cap"), "cpu.cap") : null;
            cpu = new CpuPolicy(w, p, cap);
        }
        List<BandwidthPolicy> bw = new ArrayList<>();
        if (o.has("bandwidth") && !o.get("bandwidth").isNull()) {
            JsonNode l = o.get("bandwidth");
            if (!l.isArray()) throw new BadRequest("bandwidth", "expected a list, found " + describe(l));
            for (int i = 0; i < l.size(); i++) {
                String path = "bandwidth[" + i + "]";
                ObjectNode b = object(l.get(i), path, BANDWIDTH_KEYS);
                JsonNode pipe = b.get("pipe");
                if (pipe == null || !pipe.isTextual()) {
                    throw new BadRequest(path + ".pipe", pipe == null ? "missing" : "expected text, found "
                            + describe(pipe));
                }
                bw.add(new BandwidthPolicy(pipe.asText(), amount(b.get("booking"), path + ".booking"),
                        amount(b.get("burst"), path + ".burst")));
            }
        }
        return new Policy(priority, cpu, bw);
    }

    /** Reads {@code {"mode":"monitor"|"enforce"}}. */
    public static Mode parseMode(JsonNode n) throws BadRequest {
        ObjectNode o = object(n, "", Set.of("mode"));
        JsonNode m = o.get("mode");
        if (m == null) throw new BadRequest("mode", "missing (monitor or enforce)");
        if (!m.isTextual()) throw new BadRequest("mode", "expected monitor or enforce, found " + describe(m));
        return mode(m.asText());
    }

    public static Mode mode(String text) throws BadRequest {
        for (Mode x : Mode.values()) if (x.name().equalsIgnoreCase(text)) return x;
        throw new BadRequest("mode", "expected monitor or enforce, found \"" + text + "\"");
    }

    /** Reads a flat object of policy edits, {@code {"cpu.weight":"200","priority":7}} (numbers accepted). */
    public static Map<String, String> parseEdits(JsonNode n) throws BadRequest {
        ObjectNode o = object(n, "", null);
        Map<String, String> edits = new java.util.LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!(v.isTextual() || v.isNumber())) {
                throw new BadRequest(e.getKey(), "expected text or a number, found " + describe(v));
            }
            edits.put(e.getKey(), v.asText());
        }
        return edits;
    }

    private static ObjectNode object(JsonNode n, String path, Set<String> allowed) throws BadRequest {
        if (!(n instanceof ObjectNode o)) throw new BadRequest(path, "expected an object, found " + describe(n));
        if (allowed != null) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new BadRequest(path.isEmpty() ? k : path + "." + k, "unknown field (allowed: "
                            + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }
        return o;
    }

    private static int integer(JsonNode n, String field) throws BadRequest {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new BadRequest(field, "expected a whole number, found " + describe(n));
        }
        return n.intValue();
    }

    private static Double percent(JsonNode n, String field) throws BadRequest {
        if (n.isNumber()) return n.doubleValue();
        if (n.isTextual() && Rates.parsePercent(n.asText()) != null) return Rates.parsePercent(n.asText());
        throw new BadRequest(field, "expected a percentage like 25 or \"25%\", found " + describe(n));
    }

    private static Amount amount(JsonNode n, String field) throws BadRequest {
        if (n == null || n.isNull()) return null;
        if (n.isIntegralNumber() && n.canConvertToLong()) return new Amount.BitsPerSecond(n.longValue());
        if (n.isTextual()) {
            try {
                return PolicyEdits.amount(n.asText());
            } catch (IllegalArgumentException e) {
                throw new BadRequest(field, e.getMessage());
            }
        }
        throw new BadRequest(field, "expected a rate like \"30mbit\" or a percentage like \"25%\", found "
                + describe(n));
    }

    static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) {
            String t = n.asText();
            return "the text \"" + (t.length() > 40 ? t.substring(0, 40) + "…" : t) + "\"";
        }
        if (n.isNumber()) return "the number " + n.asText();
        if (n.isBoolean()) return "the boolean " + n.asText();
        if (n.isArray()) return "a list";
        return "an object";
    }

    // ---- Jackson module for the answers ----

    private static SimpleModule module() {
        SimpleModule m = new SimpleModule("poolwarden-api");
        m.addSerializer(Instant.class, new JsonSerializer<>() {
            @Override
            public void serialize(Instant v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeString(v.toString());
            }
        });
        m.addDeserializer(Instant.class, new JsonDeserializer<>() {
            @Override
            public Instant deserialize(JsonParser p, DeserializationContext c) throws IOException {
                try {
                    return Instant.parse(p.getValueAsString());
                } catch (DateTimeParseException e) {
                    return (Instant) c.handleWeirdStringValue(Instant.class, p.getValueAsString(), e.getMessage());
                }
            }
        });
        lowerCaseEnum(m, Mode.class);
        lowerCaseEnum(m, Usage.Direction.class);
        m.addSerializer(Policy.class, new JsonSerializer<>() {
            @Override
            public void serialize(Policy v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeTree(policyToJson(v));
            }
        });
        m.addDeserializer(Policy.class, new JsonDeserializer<>() {
            @Override
            public Policy deserialize(JsonParser p, DeserializationContext c) throws IOException {
                try {
                    return parsePolicy(p.readValueAsTree());
                } catch (BadRequest e) {
                    return (Policy) c.handleWeirdStringValue(Policy.class, "", e.toString());
                }
            }
        });
        m.addSerializer(ConfigError.class, new JsonSerializer<>() {
            @Override
            public void serialize(ConfigError e, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeStartObject();
                g.writeStringField("file", e.location().file());
                g.writeNumberField("line", e.location().line());
                g.writeNumberField("column", e.location().column());
                g.writeStringField("field", e.field());
                g.writeStringField("message", e.message());
                g.writeStringField("text", e.toString());
                g.writeEndObject();
            }
        });
        m.addDeserializer(ConfigError.class, new JsonDeserializer<>() {
            @Override
            public ConfigError deserialize(JsonParser p, DeserializationContext c) throws IOException {
                JsonNode n = p.readValueAsTree();
                return new ConfigError(new Location(n.path("file").asText(), n.path("line").asInt(),
                        n.path("column").asInt()), n.path("field").asText(), n.path("message").asText());
            }
        });
        m.addSerializer(FieldError.class, new JsonSerializer<>() {
            @Override
            public void serialize(FieldError e, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeStartObject();
                g.writeStringField("field", e.field());
                g.writeStringField("message", e.message());
                g.writeEndObject();
            }
        });
        return m;
    }

    private static <E extends Enum<E>> void lowerCaseEnum(SimpleModule m, Class<E> type) {
        m.addSerializer(type, new JsonSerializer<E>() {
            @Override
            public void serialize(E v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeString(v.name().toLowerCase(Locale.ROOT));
            }
        });
        m.addDeserializer(type, new JsonDeserializer<E>() {
            @Override
            public E deserialize(JsonParser p, DeserializationContext c) throws IOException {
                String t = p.getValueAsString();
                for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(t)) return e;
                return type.cast(c.handleWeirdStringValue(type, t, "expected one of "
                        + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)));
            }
        });
    }
}
