package org.poolwarden.nft;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Turns a {@link DesiredState} into the contents of table {@code inet poolwarden} (pure, no I/O).
 *
 * <pre>
 * output  (hook output,  priority mangle): ct mark vmap @restore; socket cgroupv2 ... jump app_X; jump flows
 * forward (hook forward, priority mangle): ct mark vmap @restore; jump flows
 * flows:  one "KEY vmap @flows_..." rule per key shape (most fields first), then counter "unclassified"
 * app_X:  ct mark set MARK meta priority set CLASS counter name "app_X" accept
 * </pre>
 *
 * Locally generated packets are classified in {@code output} and forwarded ones in {@code forward}, so each packet
 * is classified (and counted) once; {@code socket cgroupv2} is refused by this kernel in postrouting, and forward
 * runs after the kernel set {@code skb->priority} from the TOS, so our priority wins. The first packet of a
 * connection sets the conntrack mark; later packets are steered by {@code restore} (mark → app chain) without
 * looking at flow rules again.
 *
 * <p>Flow rules of one key shape (which fields they match) share one verdict map: exact keys in a hash map,
 * rules with a prefix or range in an interval map, whose rule comes after the hash map's so an exact key wins.
 * Keys inside one map must not overlap; that is reported as bad input here, before anything is sent.
 */
public final class TableRenderer {
    public static final String RESTORE_MAP = "restore";
    public static final String FLOWS_CHAIN = "flows";
    public static final String UNCLASSIFIED = "unclassified";
    public static final TableState.Hook OUTPUT_HOOK = new TableState.Hook("filter", "output", -150, "accept");
    public static final TableState.Hook FORWARD_HOOK = new TableState.Hook("filter", "forward", -150, "accept");
    /** Where the cgroup2 hierarchy is mounted, relative to /sys/fs/cgroup, as nftables resolves cgroup paths. */
    public static final String HYBRID_CGROUP2_PREFIX = "unified";

    private final String cgroupPrefix;
    private final ToLongFunction<String> cgroupIds;

    /** @param cgroupPrefix the cgroup2 mount relative to /sys/fs/cgroup: "unified" on hybrid hosts, "" on pure v2 */
    public TableRenderer(String cgroupPrefix) {
        this(cgroupPrefix, path -> 0);
    }

    /**
     * @param cgroupIds the id (inode) of a cgroup path: nftables resolves the path to this id when the rule is
     *                  loaded, so a group removed and created again needs its rule loaded again; the id goes into
     *                  the rule's identity for that
     */
    public TableRenderer(String cgroupPrefix, ToLongFunction<String> cgroupIds) {
        this.cgroupPrefix = cgroupPrefix == null ? "" : cgroupPrefix;
        this.cgroupIds = cgroupIds;
    }

    /**
     * A key shape: which fields a rule matches and whether any of them is a prefix or range. Key fields go from
     * the most selective to the least (addresses, ports, protocol): an interval map (pipapo) narrows field by
     * field and pays for every element the first field lets through, so "tcp" first would cost every lookup the
     * whole map (measured: 4x less TCP throughput for unmatched traffic with 10,000 rules).
     */
    record Shape(int family, boolean proto, boolean laddr, boolean raddr, boolean lport, boolean rport,
                 boolean interval) {
        int fields() {
            return (proto ? 1 : 0) + (laddr ? 1 : 0) + (raddr ? 1 : 0) + (lport ? 1 : 0) + (rport ? 1 : 0);
        }

        String mapName() {
            StringBuilder sb = new StringBuilder("flows");
            sb.append(family == 4 ? "_v4" : family == 6 ? "_v6" : "");
            if (laddr) {
                sb.append("_laddr");
            }
            if (raddr) {
                sb.append("_raddr");
            }
            if (lport) {
                sb.append("_lport");
            }
            if (rport) {
                sb.append("_rport");
            }
            if (proto) {
                sb.append("_proto");
            }
            return sb.append(interval ? "_iv" : "").toString();
        }

        List<FieldType> types() {
            List<FieldType> t = new ArrayList<>();
            FieldType addr = family == 6 ? FieldType.IPV6 : FieldType.IPV4;
            if (laddr) {
                t.add(addr);
            }
            if (raddr) {
                t.add(addr);
            }
            if (lport) {
                t.add(FieldType.PORT);
            }
            if (rport) {
                t.add(FieldType.PORT);
            }
            if (proto) {
                t.add(FieldType.PROTO);
            }
            return t;
        }

        String keyExpression() {
            List<String> e = new ArrayList<>();
            String ip = family == 6 ? "ip6" : "ip";
            if (laddr) {
                e.add(ip + " saddr");
            }
            if (raddr) {
                e.add(ip + " daddr");
            }
            if (lport) {
                e.add("th sport");
            }
            if (rport) {
                e.add("th dport");
            }
            if (proto) {
                e.add("meta l4proto");
            }
            return String.join(" . ", e);
        }
    }

    public TableState render(DesiredState desired) {
        TableState t = new TableState();
        t.present = true;
        Map<String, App> apps = new LinkedHashMap<>();
        for (App a : desired.apps()) {
            apps.put(a.name(), a);
            t.counters.add(a.objectName());
        }
        t.counters.add(UNCLASSIFIED);

        for (App a : apps.values()) {
            TableState.Chain c = new TableState.Chain(a.objectName(), null);
            c.rules.add(rule(c.name, String.format("ct mark set 0x%08x meta priority set %s counter name \"%s\" accept",
                    a.mark(), a.classId(), a.objectName())));
            t.chains.put(c.name, c);
        }

        Map<List<Interval>, String> restore = new LinkedHashMap<>();
        for (App a : apps.values()) {
            restore.put(List.of(Interval.point(a.mark() & 0xffffffffL)), jump(a));
        }
        t.maps.put(RESTORE_MAP, new TableState.NftMap(RESTORE_MAP, "map:verdict", List.of(FieldType.MARK.nftName()),
                false, restore));

        Map<Shape, Map<List<Interval>, Integer>> byShape = new TreeMap<>(
                Comparator.comparingInt(Shape::fields).reversed()
                        .thenComparing(Shape::interval)
                        .thenComparing(Shape::mapName));
        Map<Shape, Map<List<Interval>, String>> values = new HashMap<>();
        for (FlowRule r : desired.rules()) {
            Shape s = shape(r);
            Map<List<Interval>, Integer> keys = byShape.computeIfAbsent(s, x -> new LinkedHashMap<>());
            Map<List<Interval>, String> vals = values.computeIfAbsent(s, x -> new LinkedHashMap<>());
            for (List<Interval> key : keys(r, s)) {
                Integer dup = keys.putIfAbsent(key, r.index());
                if (dup != null) {
                    throw new InvalidFlowConfigException("rules[" + r.index() + "]",
                            "matches the same flows as rules[" + dup + "] (" + s.mapName() + ")");
                }
                vals.put(key, jump(apps.get(r.app())));
            }
        }
        TableState.Chain flows = new TableState.Chain(FLOWS_CHAIN, null);
        for (Map.Entry<Shape, Map<List<Interval>, Integer>> e : byShape.entrySet()) {
            Shape s = e.getKey();
            if (s.interval()) {
                checkDisjoint(s, e.getValue());
            }
            List<String> types = s.types().stream().map(FieldType::nftName).toList();
            List<Map<List<Interval>, String>> shards = shards(s, values.get(s));
            for (int i = 0; i < shards.size(); i++) {
                String name = s.mapName() + (i == 0 ? "" : "_s" + i);
                t.maps.put(name, new TableState.NftMap(name, "map:verdict", types, s.interval(), shards.get(i)));
                flows.rules.add(rule(FLOWS_CHAIN, s.keyExpression() + " vmap @" + name));
            }
        }
        flows.rules.add(rule(FLOWS_CHAIN, "counter name \"" + UNCLASSIFIED + "\""));
        t.chains.put(FLOWS_CHAIN, flows);

        TableState.Chain output = new TableState.Chain("output", OUTPUT_HOOK);
        output.rules.add(rule("output", "ct mark vmap @" + RESTORE_MAP));
        for (App a : apps.values()) {
            if (a.cgroup() != null) {
                String path = cgroupPrefix.isEmpty() ? a.cgroup() : cgroupPrefix + "/" + a.cgroup();
                String text = "socket cgroupv2 level " + a.cgroupLevel() + " \"" + path + "\" " + jump(a);
                long id = cgroupIds.applyAsLong(a.cgroup());
                output.rules.add(new TableState.Rule(ruleId("output", id == 0 ? text : text + "\ncgroup id " + id), text));
            }
        }
        output.rules.add(rule("output", "jump " + FLOWS_CHAIN));
        t.chains.put(output.name, output);

        TableState.Chain forward = new TableState.Chain("forward", FORWARD_HOOK);
        forward.rules.add(rule("forward", "ct mark vmap @" + RESTORE_MAP));
        forward.rules.add(rule("forward", "jump " + FLOWS_CHAIN));
        t.chains.put(forward.name, forward);
        return t;
    }

    /**
     * Interval maps of concatenations (pipapo) take time quadratic in their size to load in this kernel (10,000
     * elements: about 1.2 s; four maps of 2,500: about 0.4 s), while a lookup costs about the same whether the
     * elements are in one map or spread over a few (its bitmaps are as wide as the map is large). So big interval
     * shapes are spread over up to {@value #MAX_SHARDS} maps by a stable hash of the key: an element stays in its
     * map as long as the shard count does not change.
     */
    static final int SHARD_SIZE = 2500;
    static final int MAX_SHARDS = 8;

    static List<Map<List<Interval>, String>> shards(Shape s, Map<List<Interval>, String> elements) {
        int n = elements.size();
        int count = !s.interval() || s.fields() < 2 ? 1 : Math.min(MAX_SHARDS, (n + SHARD_SIZE - 1) / SHARD_SIZE);
        if (count <= 1) {
            return List.of(elements);
        }
        List<Map<List<Interval>, String>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new LinkedHashMap<>());
        }
        elements.forEach((k, v) -> out.get(Math.floorMod(stableHash(k), count)).put(k, v));
        return out;
    }

    /** A hash of a key that does not depend on the JVM (records' hashCode is unspecified): FNV over the bounds. */
    static int stableHash(List<Interval> key) {
        long h = 0xcbf29ce484222325L;
        for (Interval i : key) {
            for (byte b : i.lo().toByteArray()) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            for (byte b : i.hi().toByteArray()) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            h = (h ^ 0xff) * 0x100000001b3L;
        }
        return (int) (h ^ (h >>> 32));
    }

    private static String jump(App a) {
        return "jump " + a.objectName();
    }

    static Shape shape(FlowRule r) {
        boolean interval = (r.local() != null && !r.local().range().isPoint())
                || (r.remote() != null && !r.remote().range().isPoint())
                || (r.localPort() != null && r.localPort().from() != r.localPort().to())
                || (r.remotePort() != null && r.remotePort().from() != r.remotePort().to());
        boolean proto = r.protocol() != Protocol.ANY || r.hasPorts();
        return new Shape(r.family(), proto, r.local() != null, r.remote() != null, r.localPort() != null,
                r.remotePort() != null, interval);
    }

    static List<List<Interval>> keys(FlowRule r, Shape s) {
        List<Integer> protos = !s.proto() ? List.of(-1)
                : r.protocol() == Protocol.ANY ? List.of(Protocol.TCP.number(), Protocol.UDP.number())
                : List.of(r.protocol().number());
        List<List<Interval>> out = new ArrayList<>();
        for (int p : protos) {
            List<Interval> k = new ArrayList<>();
            if (r.local() != null) {
                k.add(r.local().range());
            }
            if (r.remote() != null) {
                k.add(r.remote().range());
            }
            if (r.localPort() != null) {
                k.add(r.localPort().interval());
            }
            if (r.remotePort() != null) {
                k.add(r.remotePort().interval());
            }
            if (p >= 0) {
                k.add(Interval.point(p));
            }
            out.add(List.copyOf(k));
        }
        return out;
    }

    /**
     * Keys of one interval map must be disjoint (the kernel refuses overlaps, and which app would win is unclear).
     * Sweep along the field with the most distinct starts; only keys overlapping there are compared in full.
     */
    static void checkDisjoint(Shape s, Map<List<Interval>, Integer> keys) {
        if (keys.size() < 2) {
            return;
        }
        List<List<Interval>> all = new ArrayList<>(keys.keySet());
        int fields = all.get(0).size();
        int dim = 0;
        int best = -1;
        for (int d = 0; d < fields; d++) {
            Set<BigInteger> starts = new HashSet<>();
            for (List<Interval> k : all) {
                starts.add(k.get(d).lo());
            }
            if (starts.size() > best) {
                best = starts.size();
                dim = d;
            }
        }
        int sweep = dim;
        all.sort(Comparator.comparing((List<Interval> k) -> k.get(sweep).lo()));
        List<List<Interval>> active = new ArrayList<>();
        for (List<Interval> k : all) {
            BigInteger start = k.get(sweep).lo();
            active.removeIf(a -> a.get(sweep).hi().compareTo(start) < 0);
            for (List<Interval> a : active) {
                if (overlaps(a, k)) {
                    int i = keys.get(k);
                    int j = keys.get(a);
                    throw new InvalidFlowConfigException("rules[" + Math.max(i, j) + "]", "overlaps rules["
                            + Math.min(i, j) + "] (" + s.mapName() + "); rules with prefixes or ranges of the same "
                            + "fields must not overlap");
                }
            }
            active.add(k);
        }
    }

    private static boolean overlaps(List<Interval> a, List<Interval> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).overlaps(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Our rules carry {@code pw:<hash of chain and text>} as comment: that is how they are recognised later. */
    static TableState.Rule rule(String chain, String text) {
        return new TableState.Rule(ruleId(chain, text), text);
    }

    static String ruleId(String chain, String text) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((chain + "\n" + text).getBytes(StandardCharsets.UTF_8));
            return "pw:" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
