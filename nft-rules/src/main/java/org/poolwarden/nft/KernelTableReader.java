package org.poolwarden.nft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reads nftables' JSON listing of our table (and of its counters) into canonical form. Pure. */
public final class KernelTableReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KernelTableReader() {
    }

    /** Parses {@code list table inet poolwarden} output; an empty output means the table is absent. */
    public static TableState table(String json) {
        TableState t = new TableState();
        if (json == null || json.isBlank()) {
            return t;
        }
        for (JsonNode item : items(json)) {
            if (item.has("table")) {
                t.present = true;
            } else if (item.has("counter")) {
                t.counters.add(item.get("counter").get("name").asText());
            } else if (item.has("chain")) {
                JsonNode c = item.get("chain");
                TableState.Hook hook = c.has("hook") ? new TableState.Hook(c.path("type").asText(),
                        c.get("hook").asText(), c.path("prio").asInt(), c.path("policy").asText("accept")) : null;
                String name = c.get("name").asText();
                t.chains.put(name, new TableState.Chain(name, hook));
            } else if (item.has("rule")) {
                JsonNode r = item.get("rule");
                String chain = r.get("chain").asText();
                TableState.Chain c = t.chains.computeIfAbsent(chain, n -> new TableState.Chain(n, null));
                String id = r.has("comment") ? r.get("comment").asText() : "foreign@" + r.path("handle").asLong();
                c.rules.add(new TableState.Rule(id, null));
            } else if (item.has("map") || item.has("set")) {
                TableState.NftMap m = map(item.has("map") ? item.get("map") : item.get("set"), item.has("map"));
                t.maps.put(m.name, m);
            } else {
                item.fieldNames().forEachRemaining(kind -> {
                    if (!kind.equals("metainfo")) {
                        t.foreign.add(new TableState.Foreign(kind.equals("ct helper") ? "ct helper" : kind,
                                item.get(kind).path("name").asText()));
                    }
                });
            }
        }
        return t;
    }

    private static TableState.NftMap map(JsonNode m, boolean isMap) {
        List<String> types = new ArrayList<>();
        JsonNode type = m.get("type");
        if (type.isArray()) {
            type.forEach(x -> types.add(x.asText()));
        } else {
            types.add(type.asText());
        }
        boolean interval = false;
        for (JsonNode f : m.path("flags")) {
            interval |= f.asText().equals("interval");
        }
        if (m.path("flags").isTextual()) {
            interval = m.get("flags").asText().equals("interval");
        }
        String kind = isMap ? "map:" + m.path("map").asText() : "set";
        List<FieldType> fts = types.stream().map(FieldType::byNftName).toList();
        Map<List<Interval>, String> elements = null;
        if (isMap && !fts.contains(null) && m.path("map").asText().equals("verdict")) {
            elements = new LinkedHashMap<>();
            for (JsonNode e : m.path("elem")) {
                JsonNode key = unwrap(e.get(0));
                List<Interval> k = new ArrayList<>();
                if (key.has("concat")) {
                    JsonNode parts = key.get("concat");
                    for (int i = 0; i < parts.size(); i++) {
                        k.add(fts.get(i).parse(parts.get(i)));
                    }
                } else {
                    k.add(fts.get(0).parse(key));
                }
                elements.put(List.copyOf(k), verdict(e.get(1)));
            }
        }
        return new TableState.NftMap(m.get("name").asText(), kind, types, interval, elements);
    }

    private static JsonNode unwrap(JsonNode n) {
        return n.has("elem") ? n.get("elem").get("val") : n;
    }

    /** {"jump":{"target":"app_x"}} → "jump app_x"; {"accept":null} → "accept". */
    static String verdict(JsonNode v) {
        String kind = v.fieldNames().next();
        JsonNode body = v.get(kind);
        return body != null && body.has("target") ? kind + " " + body.get("target").asText() : kind;
    }

    /** Parses {@code list counters table inet poolwarden} output: counter name → value. */
    public static Map<String, Traffic> counters(String json) {
        Map<String, Traffic> out = new LinkedHashMap<>();
        if (json == null || json.isBlank()) {
            return out;
        }
        for (JsonNode item : items(json)) {
            if (item.has("counter")) {
                JsonNode c = item.get("counter");
                out.put(c.get("name").asText(), new Traffic(c.path("packets").asLong(), c.path("bytes").asLong()));
            }
        }
        return out;
    }

    private static JsonNode items(String json) {
        try {
            return JSON.readTree(json).path("nftables");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("nftables printed JSON we cannot read: " + e.getOriginalMessage(), e);
        }
    }
}
