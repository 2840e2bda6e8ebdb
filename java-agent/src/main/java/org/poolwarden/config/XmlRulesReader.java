package org.poolwarden.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.poolwarden.config.ConfigNode.Field;
import org.poolwarden.config.ConfigNode.ListNode;
import org.poolwarden.config.ConfigNode.MapNode;
import org.poolwarden.config.ConfigNode.Scalar;

/**
 * Imports the seed's XML application rules into the canonical tree, so the same binder validates them and errors
 * carry the XML file's line:col. Accepted shape (the seed's, plus the POLICY body and PIPE it leaves open):
 *
 * <pre>
 * &lt;APP-RULES&gt;                                     (or a single APP-RULE / JOB-DEFINITION as the root)
 *   &lt;PIPE NAME="uplink" INTERFACE="eth0" CAPACITY="1gbit"/&gt;
 *   &lt;APP-RULE NAME="AppDaemons" FLAGS="INCLUDE-CHILD-PROCESSES"&gt;   (JOB-DEFINITION is an alias)
 *     &lt;PROCESS-RULES INCLUDE-CHILD-PROCESSES="YES"&gt; &lt;PROCESS-RULE&gt;...&lt;/PROCESS-RULE&gt; &lt;/PROCESS-RULES&gt;
 *     &lt;PROCESS-RULE&gt;&lt;PROCESS-VALIDATION-CLAUSES&gt;&lt;CMDLINE&gt;appd*&lt;/CMDLINE&gt;&lt;/PROCESS-VALIDATION-CLAUSES&gt;&lt;/PROCESS-RULE&gt;
 *     &lt;FLOW-RULE&gt;&lt;FLOW-VALIDATION-CLAUSES&gt;&lt;LOCAL-PORT&gt;3723&lt;/LOCAL-PORT&gt;&lt;/FLOW-VALIDATION-CLAUSES&gt;&lt;/FLOW-RULE&gt;
 *     &lt;POLICY PRIORITY="7"&gt;&lt;CPU WEIGHT="200" CAP="50"/&gt;&lt;BANDWIDTH PIPE="uplink" BOOKING="30mbit" BURST="50%"/&gt;&lt;/POLICY&gt;
 *   &lt;/APP-RULE&gt;
 * &lt;/APP-RULES&gt;
 * </pre>
 *
 * JOB-TRIGGER is recognised and rejected with a clear error: triggers are not implemented yet.
 */
final class XmlRulesReader {
    static final Map<String, String> PROCESS_CLAUSES = Map.ofEntries(
            Map.entry("PROCESS-NAME", "name"), Map.entry("PROCESS-ID", "pid"), Map.entry("USER-ID", "uid"),
            Map.entry("USER-NAME", "user"), Map.entry("GROUP-ID", "gid"), Map.entry("GROUP-NAME", "group"),
            Map.entry("SESSION-ID", "sessionId"), Map.entry("CMDLINE", "cmdline"),
            Map.entry("CMDLINE-REGEX", "cmdlineRegex"), Map.entry("ENVIRONMENT-VARIABLE", "env"),
            Map.entry("PARENT-PROCESS-NAME", "parentName"), Map.entry("PARENT-PROCESS-ID", "parentPid"));
    static final Map<String, String> FLOW_CLAUSES = Map.of("PROTOCOL", "protocol", "LOCAL-ADDRESS", "localAddress",
            "REMOTE-ADDRESS", "remoteAddress", "LOCAL-PORT", "localPort", "REMOTE-PORT", "remotePort");
    static final Map<String, String> CPU_ATTRS = Map.of("WEIGHT", "weight", "PERCENT", "percent", "CAP", "cap");
    static final Map<String, String> BANDWIDTH_ATTRS = Map.of("PIPE", "pipe", "BOOKING", "booking", "BURST", "burst");
    static final Map<String, String> PIPE_ATTRS = Map.of("NAME", "name", "INTERFACE", "interface",
            "CAPACITY", "capacity");
    private static final String INCLUDE_CHILDREN = "INCLUDE-CHILD-PROCESSES";

    /** One element with its location; attributes share the element's location (StAX reports no finer). */
    private record El(String name, Location at, Map<String, String> attrs, List<El> children, String text) {}

    private final String file;
    private final List<ConfigError> errors;

    private XmlRulesReader(String file, List<ConfigError> errors) {
        this.file = file;
        this.errors = errors;
    }

    /** Returns a tree shaped like a YAML config ({@code pipes}, {@code apps}), or null on a syntax error. */
    static MapNode read(String file, String text, List<ConfigError> errors) {
        XmlRulesReader r = new XmlRulesReader(file, errors);
        El root;
        try {
            root = r.parse(text);
        } catch (XMLStreamException e) {
            javax.xml.stream.Location l = e.getLocation();
            String msg = String.valueOf(e.getMessage());
            // StAX parsers add their own position to the message; ours is in front already, and errors are one line.
            int i = msg.indexOf("Message: ");
            if (i >= 0) msg = msg.substring(i + 9);
            msg = msg.replaceAll("(?s)\\s*at \\[row,col.*$", "").replaceAll("\\s+", " ").strip();
            errors.add(new ConfigError(l == null ? Location.ofFile(file)
                    : new Location(file, Math.max(0, l.getLineNumber()), Math.max(0, l.getColumnNumber())), "",
                    "XML syntax error: " + msg));
            return null;
        }
        if (root == null) {
            errors.add(new ConfigError(new Location(file, 1, 1), "", "the file has no XML element"));
            return null;
        }
        return r.convertRoot(root);
    }

    private El parse(String text) throws XMLStreamException {
        XMLInputFactory f = XMLInputFactory.newFactory();
        // Rules files come from operators, but an XML parser that fetches entities is a classic hole: no DTDs.
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        XMLStreamReader x = f.createXMLStreamReader(new StringReader(text));
        try {
            while (x.hasNext()) {
                if (x.next() == XMLStreamConstants.START_ELEMENT) return element(x);
            }
            return null;
        } finally {
            x.close();
        }
    }

    private El element(XMLStreamReader x) throws XMLStreamException {
        javax.xml.stream.Location l = x.getLocation();
        Location at = new Location(file, l.getLineNumber(), l.getColumnNumber());
        String name = x.getLocalName();
        Map<String, String> attrs = new LinkedHashMap<>();
        for (int i = 0; i < x.getAttributeCount(); i++) attrs.put(x.getAttributeLocalName(i), x.getAttributeValue(i));
        List<El> children = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (true) {
            int ev = x.next();
            if (ev == XMLStreamConstants.START_ELEMENT) children.add(element(x));
            else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA) text.append(x.getText());
            else if (ev == XMLStreamConstants.END_ELEMENT) break;
        }
        return new El(name.toUpperCase(Locale.ROOT), at, attrs, children, text.toString().strip());
    }

    private MapNode convertRoot(El root) {
        List<ConfigNode> apps = new ArrayList<>();
        List<ConfigNode> pipes = new ArrayList<>();
        switch (root.name()) {
            case "APP-RULES" -> {
                noAttrs(root, "");
                noText(root, "");
                for (El c : root.children()) {
                    switch (c.name()) {
                        case "APP-RULE", "JOB-DEFINITION" -> apps.add(app(c, "apps[" + apps.size() + "]"));
                        case "PIPE" -> pipes.add(attrsNode(c, "pipes[" + pipes.size() + "]", PIPE_ATTRS));
                        case "JOB-TRIGGER" -> trigger(c);
                        default -> unknown(c, "", Set.of("APP-RULE", "JOB-DEFINITION", "PIPE", "JOB-TRIGGER"));
                    }
                }
            }
            case "APP-RULE", "JOB-DEFINITION" -> apps.add(app(root, "apps[0]"));
            default -> unknown(root, "", Set.of("APP-RULES", "APP-RULE", "JOB-DEFINITION"));
        }
        Map<String, Field> fields = new LinkedHashMap<>();
        if (!pipes.isEmpty()) fields.put("pipes", new Field(root.at(), new ListNode(root.at(), pipes)));
        fields.put("apps", new Field(root.at(), new ListNode(root.at(), apps)));
        return new MapNode(root.at(), fields);
    }

    private ConfigNode app(El e, String path) {
        Map<String, Field> f = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : e.attrs().entrySet()) {
            switch (a.getKey().toUpperCase(Locale.ROOT)) {
                case "NAME" -> put(f, "name", e, a.getValue());
                case "FLAGS" -> {
                    for (String flag : a.getValue().split("[\\s,|]+")) {
                        if (flag.isEmpty()) continue;
                        if (flag.equalsIgnoreCase(INCLUDE_CHILDREN)) put(f, "includeChildren", e, "true");
                        else errors.add(new ConfigError(e.at(), path + ".FLAGS", "unknown flag \"" + flag
                                + "\" (allowed: " + INCLUDE_CHILDREN + ")"));
                    }
                }
                default -> errors.add(new ConfigError(e.at(), path + "." + a.getKey(), "unknown attribute (allowed:"
                        + " NAME, FLAGS)"));
            }
        }
        noText(e, path);
        List<ConfigNode> prs = new ArrayList<>();
        List<ConfigNode> frs = new ArrayList<>();
        for (El c : e.children()) {
            switch (c.name()) {
                case "PROCESS-RULES" -> {
                    String inc = null;
                    for (Map.Entry<String, String> a : c.attrs().entrySet()) {
                        if (a.getKey().equalsIgnoreCase(INCLUDE_CHILDREN)) inc = a.getValue();
                        else errors.add(new ConfigError(c.at(), path + ".processRules." + a.getKey(),
                                "unknown attribute (allowed: " + INCLUDE_CHILDREN + ")"));
                    }
                    noText(c, path + ".processRules");
                    for (El r : c.children()) {
                        if (r.name().equals("PROCESS-RULE")) {
                            prs.add(clauses(r, path + ".processRules[" + prs.size() + "]", "PROCESS-VALIDATION-CLAUSES",
                                    PROCESS_CLAUSES, inc));
                        } else {
                            unknown(r, path + ".processRules", Set.of("PROCESS-RULE"));
                        }
                    }
                }
                case "PROCESS-RULE" -> prs.add(clauses(c, path + ".processRules[" + prs.size() + "]",
                        "PROCESS-VALIDATION-CLAUSES", PROCESS_CLAUSES, null));
                case "FLOW-RULES" -> {
                    noAttrs(c, path + ".flowRules");
                    noText(c, path + ".flowRules");
                    for (El r : c.children()) {
                        if (r.name().equals("FLOW-RULE")) {
                            frs.add(clauses(r, path + ".flowRules[" + frs.size() + "]", "FLOW-VALIDATION-CLAUSES",
                                    FLOW_CLAUSES, null));
                        } else {
                            unknown(r, path + ".flowRules", Set.of("FLOW-RULE"));
                        }
                    }
                }
                case "FLOW-RULE" -> frs.add(clauses(c, path + ".flowRules[" + frs.size() + "]",
                        "FLOW-VALIDATION-CLAUSES", FLOW_CLAUSES, null));
                case "POLICY" -> f.put("policy", new Field(c.at(), policy(c, path + ".policy")));
                case "JOB-TRIGGER" -> trigger(c);
                default -> unknown(c, path, Set.of("PROCESS-RULES", "PROCESS-RULE", "FLOW-RULES", "FLOW-RULE",
                        "POLICY", "JOB-TRIGGER"));
            }
        }
        if (!prs.isEmpty()) f.put("processRules", new Field(e.at(), new ListNode(e.at(), prs)));
        if (!frs.isEmpty()) f.put("flowRules", new Field(e.at(), new ListNode(e.at(), frs)));
        return new MapNode(e.at(), f);
    }

    /** A PROCESS-RULE or FLOW-RULE: clause elements, directly or inside the seed's *-VALIDATION-CLAUSES wrapper. */
    private ConfigNode clauses(El rule, String path, String wrapper, Map<String, String> names, String includeChildren) {
        Map<String, Field> f = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : rule.attrs().entrySet()) {
            if (names == PROCESS_CLAUSES && a.getKey().equalsIgnoreCase(INCLUDE_CHILDREN)) includeChildren = a.getValue();
            else errors.add(new ConfigError(rule.at(), path + "." + a.getKey(), "unknown attribute"));
        }
        if (includeChildren != null) put(f, "includeChildren", rule, includeChildren);
        List<El> items = new ArrayList<>();
        noText(rule, path);
        for (El c : rule.children()) {
            if (c.name().equals(wrapper)) {
                noAttrs(c, path);
                noText(c, path);
                items.addAll(c.children());
            } else {
                items.add(c);
            }
        }
        for (El c : items) {
            String key = names.get(c.name());
            if (key != null) noAttrs(c, path + "." + key);
            if (key == null) {
                unknown(c, path, new java.util.TreeSet<>(names.keySet()));
            } else if (!c.children().isEmpty()) {
                errors.add(new ConfigError(c.at(), path + "." + key, "<" + c.name() + "> holds text, not elements"));
            } else if (f.containsKey(key)) {
                errors.add(new ConfigError(c.at(), path + "." + key, "<" + c.name() + "> given twice in one rule (all"
                        + " clauses of a rule must match; use two rules for alternatives)"));
            } else {
                put(f, key, c, c.text());
            }
        }
        return new MapNode(rule.at(), f);
    }

    private ConfigNode policy(El e, String path) {
        Map<String, Field> f = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : e.attrs().entrySet()) {
            if (a.getKey().equalsIgnoreCase("PRIORITY")) put(f, "priority", e, a.getValue());
            else errors.add(new ConfigError(e.at(), path + "." + a.getKey(), "unknown attribute (allowed: PRIORITY)"));
        }
        noText(e, path);
        List<ConfigNode> bw = new ArrayList<>();
        for (El c : e.children()) {
            switch (c.name()) {
                case "CPU" -> {
                    if (f.containsKey("cpu")) {
                        errors.add(new ConfigError(c.at(), path + ".cpu", "<CPU> given twice"));
                    } else {
                        f.put("cpu", new Field(c.at(), attrsNode(c, path + ".cpu", CPU_ATTRS)));
                    }
                }
                case "BANDWIDTH" -> bw.add(attrsNode(c, path + ".bandwidth[" + bw.size() + "]", BANDWIDTH_ATTRS));
                default -> unknown(c, path, Set.of("CPU", "BANDWIDTH"));
            }
        }
        if (!bw.isEmpty()) f.put("bandwidth", new Field(e.at(), new ListNode(e.at(), bw)));
        return new MapNode(e.at(), f);
    }

    private ConfigNode attrsNode(El e, String path, Map<String, String> names) {
        Map<String, Field> f = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : e.attrs().entrySet()) {
            String key = names.get(a.getKey().toUpperCase(Locale.ROOT));
            if (key == null) {
                errors.add(new ConfigError(e.at(), path + "." + a.getKey(), "unknown attribute (allowed: "
                        + String.join(", ", new java.util.TreeSet<>(names.keySet())) + ")"));
            } else {
                put(f, key, e, a.getValue());
            }
        }
        for (El c : e.children()) unknown(c, path, Set.of());
        noText(e, path);
        return new MapNode(e.at(), f);
    }

    private void trigger(El e) {
        errors.add(new ConfigError(e.at(), "JOB-TRIGGER", "job triggers are not supported yet; remove the"
                + " JOB-TRIGGER (the agent re-applies policies that could not be met on every slow tick by itself)"));
    }

    /** Text directly inside a container element is a misplaced value; say so instead of dropping it. */
    private void noText(El e, String path) {
        if (!e.text().isEmpty()) {
            errors.add(new ConfigError(e.at(), path, "unexpected text \"" + e.text() + "\" inside <" + e.name()
                    + ">; values go in attributes or clause elements such as <PROCESS-NAME>"));
        }
    }

    private void noAttrs(El e, String path) {
        for (String a : e.attrs().keySet()) {
            errors.add(new ConfigError(e.at(), path.isEmpty() ? a : path + "." + a, "unknown attribute"));
        }
    }

    private void unknown(El e, String path, Set<String> allowed) {
        errors.add(new ConfigError(e.at(), path.isEmpty() ? e.name() : path + "." + e.name(), "unknown element <"
                + e.name() + ">" + (allowed.isEmpty() ? "" : " (allowed here: " + String.join(", ",
                new java.util.TreeSet<>(allowed)) + ")")));
    }

    private static void put(Map<String, Field> f, String key, El at, String value) {
        f.put(key, new Field(at.at(), new Scalar(at.at(), value)));
    }
}
