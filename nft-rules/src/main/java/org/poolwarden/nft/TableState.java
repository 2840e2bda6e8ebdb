package org.poolwarden.nft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The contents of table {@code inet poolwarden} in a canonical form, whether rendered from a {@link DesiredState}
 * or read back from the kernel, so that the two compare exactly: set elements as intervals (however nftables chose
 * to print them), rules by the id in their comment.
 */
public final class TableState {
    public static final String FAMILY = "inet";
    public static final String TABLE = "poolwarden";

    /** A base chain's hook. */
    public record Hook(String type, String hook, int priority, String policy) {
    }

    /** A rule: {@code id} is what its comment holds (ours are {@code pw:<hash>}); {@code text} without the comment. */
    public record Rule(String id, String text) {
    }

    public static final class Chain {
        public final String name;
        public final Hook hook;
        public final List<Rule> rules = new ArrayList<>();

        public Chain(String name, Hook hook) {
            this.name = name;
            this.hook = hook;
        }

        public List<String> ruleIds() {
            return rules.stream().map(Rule::id).toList();
        }
    }

    /**
     * A set or map. {@code kind} is {@code "map:verdict"} for our verdict maps ({@code "set"}, {@code "map:TYPE"}
     * for anything else); {@code keyTypes} are nftables type names; {@code elements} maps a key (one interval per
     * field) to its verdict text, or is {@code null} when the key types are not ones we parse.
     */
    public static final class NftMap {
        public final String name;
        public final String kind;
        public final List<String> keyTypes;
        public final boolean interval;
        public final Map<List<Interval>, String> elements;

        public NftMap(String name, String kind, List<String> keyTypes, boolean interval,
                      Map<List<Interval>, String> elements) {
            this.name = name;
            this.kind = kind;
            this.keyTypes = List.copyOf(keyTypes);
            this.interval = interval;
            this.elements = elements;
        }

        public boolean sameDeclaration(NftMap o) {
            return kind.equals(o.kind) && keyTypes.equals(o.keyTypes) && interval == o.interval && elements != null
                    && o.elements != null;
        }

        public List<FieldType> fieldTypes() {
            return keyTypes.stream().map(FieldType::byNftName).toList();
        }

        NftMap copy() {
            return new NftMap(name, kind, keyTypes, interval, elements == null ? null : new LinkedHashMap<>(elements));
        }
    }

    /** Some other kind of object (quota, limit, flowtable...) that only an outsider can have put in our table. */
    public record Foreign(String kind, String name) {
    }

    public boolean present;
    public final Set<String> counters = new LinkedHashSet<>();
    public final Map<String, Chain> chains = new LinkedHashMap<>();
    public final Map<String, NftMap> maps = new LinkedHashMap<>();
    public final List<Foreign> foreign = new ArrayList<>();

    public static TableState absent() {
        return new TableState();
    }

    public TableState copy() {
        TableState t = new TableState();
        t.present = present;
        t.counters.addAll(counters);
        chains.forEach((k, c) -> {
            Chain n = new Chain(c.name, c.hook);
            n.rules.addAll(c.rules);
            t.chains.put(k, n);
        });
        maps.forEach((k, m) -> t.maps.put(k, m.copy()));
        t.foreign.addAll(foreign);
        return t;
    }

    /** Number of set/map elements in the table. */
    public int elementCount() {
        return maps.values().stream().mapToInt(m -> m.elements == null ? 0 : m.elements.size()).sum();
    }

    /** Same contents, as far as the classifier cares (what {@link TableDiff} would leave unchanged). */
    public boolean sameAs(TableState o) {
        return TableDiff.between(this, o).isEmpty();
    }
}
