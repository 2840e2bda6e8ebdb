package org.poolwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The published JSON Schema and the binder must agree field by field, and on the limits they both state. */
class ConfigSchemaTest {
    static JsonNode schema() throws IOException {
        try (InputStream in = ConfigSchemaTest.class.getResourceAsStream("/poolwarden.schema.json")) {
            assertNotNull(in, "poolwarden.schema.json is not on the classpath");
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void everyObjectHasExactlyTheBindersKeys() throws IOException {
        JsonNode s = schema();
        assertEquals(ConfigBinder.ROOT_KEYS, keys(s));
        Map<String, Set<String>> defs = Map.of("timers", ConfigBinder.TIMERS_KEYS, "pipe", ConfigBinder.PIPE_KEYS,
                "app", ConfigBinder.APP_KEYS, "processRule", ConfigBinder.PROCESS_RULE_KEYS,
                "flowRule", ConfigBinder.FLOW_RULE_KEYS, "policy", ConfigBinder.POLICY_KEYS,
                "cpu", ConfigBinder.CPU_KEYS, "bandwidth", ConfigBinder.BANDWIDTH_KEYS,
                "cgroups", ConfigBinder.CGROUPS_KEYS);
        defs.forEach((def, keys) -> {
            JsonNode d = s.get("$defs").get(def);
            assertNotNull(d, def);
            assertEquals(keys, keys(d), "schema $defs/" + def);
            assertEquals(false, d.get("additionalProperties").asBoolean(true), def + " must reject unknown keys");
        });
    }

    @Test
    void limitsAgree() throws IOException {
        JsonNode d = schema().get("$defs");
        JsonNode weight = d.get("cpu").get("properties").get("weight");
        assertEquals(Policy.CpuPolicy.MIN_WEIGHT, weight.get("minimum").asInt());
        assertEquals(Policy.CpuPolicy.MAX_WEIGHT, weight.get("maximum").asInt());
        JsonNode prio = d.get("policy").get("properties").get("priority");
        assertEquals(Policy.MIN_PRIORITY, prio.get("minimum").asInt());
        assertEquals(Policy.MAX_PRIORITY, prio.get("maximum").asInt());
        assertEquals(Policy.DEFAULT_PRIORITY, prio.get("default").asInt());
        JsonNode t = d.get("timers").get("properties");
        assertEquals(PoolwardenConfig.Timers.DEFAULT_FAST_TICK_MILLIS, t.get("fastTickMillis").get("default").asLong());
        assertEquals(PoolwardenConfig.Timers.DEFAULT_SLOW_TICK_MILLIS, t.get("slowTickMillis").get("default").asLong());
        assertEquals(ConfigBinder.MAX_FAST_TICK_MILLIS, t.get("fastTickMillis").get("maximum").asLong());
        assertEquals(ConfigBinder.MIN_SLOW_TICK_MILLIS, t.get("slowTickMillis").get("minimum").asLong());
        assertEquals("^" + ConfigBinder.NAME.pattern() + "$", d.get("name").get("pattern").asText());
        assertEquals(PoolwardenConfig.Cgroups.DEFAULT_ROOT, d.get("cgroups").get("properties").get("root").get("default")
                .asText());
        assertEquals(ConfigBinder.MAX_ID, d.get("processRule").get("properties").get("uid").get("maximum").asLong());
        JsonNode port = d.get("port").get("oneOf").get(0);
        assertEquals(PortRange.MIN, port.get("minimum").asInt());
        assertEquals(PortRange.MAX, port.get("maximum").asInt());
        assertEquals(PoolwardenConfig.DEFAULT_MODE.name().toLowerCase(), schema().get("properties").get("mode")
                .get("default").asText());
    }

    private static Set<String> keys(JsonNode objectSchema) {
        Set<String> k = new LinkedHashSet<>();
        for (Iterator<String> it = objectSchema.get("properties").fieldNames(); it.hasNext(); ) k.add(it.next());
        return k;
    }
}
