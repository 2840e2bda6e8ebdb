package org.poolwarden.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.poolwarden.config.Policy.BandwidthPolicy;

/**
 * Writes a config back in the canonical file form (for `policy get`, the API, and turning seed XML rules into
 * YAML). Reading what it writes gives the same config: that is tested on every example.
 */
public final class ConfigWriter {
    private ConfigWriter() {}

    public static String toYaml(PoolwardenConfig c) {
        try {
            return new ObjectMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    // "1000" must stay text (a user or app name), or it would read back as a number.
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS).build()).writeValueAsString(toTree(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a config tree of plain values always serializes", e);
        }
    }

    public static String toJson(PoolwardenConfig c) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toTree(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a config tree of plain values always serializes", e);
        }
    }

    /** The config as maps, lists and scalars, keys in the documented order, defaults left out where they are implied. */
    public static Map<String, Object> toTree(PoolwardenConfig c) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("mode", c.mode().name().toLowerCase(Locale.ROOT));
        if (!c.timers().equals(PoolwardenConfig.Timers.DEFAULT)) {
            root.put("timers", map("fastTickMillis", c.timers().fastTickMillis(), "slowTickMillis",
                    c.timers().slowTickMillis()));
        }
        if (!c.pipes().isEmpty()) {
            List<Object> pipes = new ArrayList<>();
            for (Pipe p : c.pipes()) {
                pipes.add(map("name", p.name(), "interface", p.iface(), "capacity",
                        Rates.format(p.capacityBitsPerSecond())));
            }
            root.put("pipes", pipes);
        }
        List<Object> apps = new ArrayList<>();
        for (App a : c.apps()) apps.add(app(a));
        root.put("apps", apps);
        if (!c.exchange().isEmpty()) root.put("exchange", c.exchange());
        if (!c.pool().isEmpty()) root.put("pool", c.pool());
        if (!c.cgroups().equals(PoolwardenConfig.Cgroups.DEFAULT)) root.put("cgroups", map("root", c.cgroups().root()));
        return root;
    }

    private static Map<String, Object> app(App a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", a.name());
        if (a.includeChildren() != App.DEFAULT_INCLUDE_CHILDREN) m.put("includeChildren", a.includeChildren());
        if (!a.processRules().isEmpty()) {
            List<Object> l = new ArrayList<>();
            for (ProcessRule r : a.processRules()) l.add(processRule(r, a.includeChildren()));
            m.put("processRules", l);
        }
        if (!a.flowRules().isEmpty()) {
            List<Object> l = new ArrayList<>();
            for (FlowRule r : a.flowRules()) l.add(flowRule(r));
            m.put("flowRules", l);
        }
        if (a.policy() != null) m.put("policy", policy(a.policy()));
        return m;
    }

    private static Map<String, Object> processRule(ProcessRule r, boolean appIncludeChildren) {
        Map<String, Object> m = new LinkedHashMap<>();
        putIf(m, "name", r.name());
        putIf(m, "pid", r.pid());
        if (r.uid() != null) m.put("uid", Integer.toUnsignedLong(r.uid()));
        putIf(m, "user", r.user());
        if (r.gid() != null) m.put("gid", Integer.toUnsignedLong(r.gid()));
        putIf(m, "group", r.group());
        putIf(m, "sessionId", r.sessionId());
        putIf(m, "cmdline", r.cmdline());
        if (r.cmdlineRegex() != null) m.put("cmdlineRegex", r.cmdlineRegex().pattern());
        if (r.env() != null) m.put("env", r.env().toString());
        putIf(m, "parentName", r.parentName());
        putIf(m, "parentPid", r.parentPid());
        if (r.includeChildren() != appIncludeChildren) m.put("includeChildren", r.includeChildren());
        return m;
    }

    private static Map<String, Object> flowRule(FlowRule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r.protocol() != null) m.put("protocol", r.protocol().name().toLowerCase(Locale.ROOT));
        if (r.localAddress() != null) m.put("localAddress", r.localAddress().toString());
        if (r.remoteAddress() != null) m.put("remoteAddress", r.remoteAddress().toString());
        if (r.localPort() != null) m.put("localPort", port(r.localPort()));
        if (r.remotePort() != null) m.put("remotePort", port(r.remotePort()));
        return m;
    }

    private static Object port(PortRange p) {
        return p.from() == p.to() ? (Object) p.from() : p.toString();
    }

    private static Map<String, Object> policy(Policy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("priority", p.priority());
        if (p.cpu() != null) {
            Map<String, Object> cpu = new LinkedHashMap<>();
            putIf(cpu, "weight", p.cpu().weight());
            putIf(cpu, "percent", p.cpu().percent());
            putIf(cpu, "cap", p.cpu().capPercent());
            m.put("cpu", cpu);
        }
        if (!p.bandwidth().isEmpty()) {
            List<Object> l = new ArrayList<>();
            for (BandwidthPolicy b : p.bandwidth()) {
                Map<String, Object> bm = new LinkedHashMap<>();
                bm.put("pipe", b.pipe());
                if (b.booking() != null) bm.put("booking", b.booking().toString());
                if (b.burst() != null) bm.put("burst", b.burst().toString());
                l.add(bm);
            }
            m.put("bandwidth", l);
        }
        return m;
    }

    private static void putIf(Map<String, Object> m, String k, Object v) {
        if (v != null) m.put(k, v);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
