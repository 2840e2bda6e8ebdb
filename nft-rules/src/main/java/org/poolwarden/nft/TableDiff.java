package org.poolwarden.nft;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The smallest batch, in a safe order, that turns {@code actual} into {@code desired}. Set elements are added and
 * deleted one by one (a 10,000-rule map is never reloaded for one change); a chain whose rule list differs is
 * flushed and refilled inside the same transaction, so packets see the old or the new rules, never none.
 *
 * <p>Order: flush chains that change (dropping their references), delete elements, delete maps, chains and
 * counters that go or must be re-declared, then add table, counters, chains, maps, elements and rules.
 */
public final class TableDiff {
    /** Elements per {@code add element} command: netlink batches of about this size load fastest. */
    static final int ELEMENTS_PER_COMMAND = 5000;

    private TableDiff() {
    }

    public static Batch between(TableState actual, TableState desired) {
        List<Op> del = new ArrayList<>();
        List<Op> add = new ArrayList<>();
        if (!desired.present) {
            if (actual.present) {
                del.add(new Op.DeleteTable());
            }
            return new Batch(del);
        }
        if (!actual.present) {
            add.add(new Op.AddTable());
        }
        // Maps to (re)declare: missing, or declared differently from what we want.
        Set<String> redeclare = new LinkedHashSet<>();
        for (TableState.NftMap want : desired.maps.values()) {
            TableState.NftMap have = actual.maps.get(want.name);
            if (have == null || !have.sameDeclaration(want)) {
                redeclare.add(want.name);
            }
        }
        Set<String> rewrite = new LinkedHashSet<>();
        Set<String> redeclareChains = new LinkedHashSet<>();
        for (TableState.Chain want : desired.chains.values()) {
            TableState.Chain have = actual.chains.get(want.name);
            if (have == null) {
                add.add(new Op.AddChain(want.name, want.hook));
                rewrite.add(want.name);
            } else if (!Objects.equals(have.hook, want.hook)) {
                redeclareChains.add(want.name);
                rewrite.add(want.name);
            } else if (!have.ruleIds().equals(want.ruleIds())) {
                rewrite.add(want.name);
            }
        }
        boolean mapsChange = redeclare.stream().anyMatch(actual.maps::containsKey)
                || actual.maps.keySet().stream().anyMatch(n -> !desired.maps.containsKey(n));
        if (mapsChange) {
            // A map that goes or is re-declared may still be referenced by a rule: refill the rule chains.
            for (TableState.Chain c : desired.chains.values()) {
                if (c.hook != null || c.name.equals(TableRenderer.FLOWS_CHAIN)) {
                    rewrite.add(c.name);
                }
            }
        }
        for (String name : rewrite) {
            if (actual.chains.containsKey(name)) {
                del.add(new Op.FlushChain(name));
            }
        }
        for (TableState.Chain have : actual.chains.values()) {
            if (!desired.chains.containsKey(have.name)) {
                del.add(new Op.FlushChain(have.name));
            }
        }
        // Elements of maps we keep.
        List<Op> addElems = new ArrayList<>();
        for (TableState.NftMap want : desired.maps.values()) {
            TableState.NftMap have = actual.maps.get(want.name);
            List<FieldType> types = want.fieldTypes();
            List<Map.Entry<List<Interval>, String>> plus = new ArrayList<>();
            if (redeclare.contains(want.name)) {
                plus.addAll(want.elements.entrySet());
            } else {
                List<List<Interval>> minus = new ArrayList<>();
                for (Map.Entry<List<Interval>, String> e : have.elements.entrySet()) {
                    String v = want.elements.get(e.getKey());
                    if (!e.getValue().equals(v)) {
                        minus.add(e.getKey());
                    }
                }
                for (Map.Entry<List<Interval>, String> e : want.elements.entrySet()) {
                    if (!e.getValue().equals(have.elements.get(e.getKey()))) {
                        plus.add(e);
                    }
                }
                for (int i = 0; i < minus.size(); i += ELEMENTS_PER_COMMAND) {
                    del.add(new Op.DeleteElements(want.name, types,
                            minus.subList(i, Math.min(minus.size(), i + ELEMENTS_PER_COMMAND))));
                }
            }
            for (int i = 0; i < plus.size(); i += ELEMENTS_PER_COMMAND) {
                addElems.add(new Op.AddElements(want.name, types,
                        plus.subList(i, Math.min(plus.size(), i + ELEMENTS_PER_COMMAND))));
            }
        }
        for (TableState.NftMap have : actual.maps.values()) {
            if (!desired.maps.containsKey(have.name) || redeclare.contains(have.name)) {
                del.add(new Op.DeleteMap(have.kind.equals("set") ? "set" : "map", have.name));
            }
        }
        for (TableState.Chain have : actual.chains.values()) {
            if (!desired.chains.containsKey(have.name) || redeclareChains.contains(have.name)) {
                del.add(new Op.DeleteChain(have.name));
            }
        }
        for (String c : actual.counters) {
            if (!desired.counters.contains(c)) {
                del.add(new Op.DeleteCounter(c));
            }
        }
        for (TableState.Foreign f : actual.foreign) {
            del.add(new Op.DeleteForeign(f.kind(), f.name()));
        }

        List<Op> ops = new ArrayList<>(del);
        if (!actual.present) {
            ops.add(add.remove(0));
        }
        for (String c : desired.counters) {
            if (!actual.counters.contains(c)) {
                ops.add(new Op.AddCounter(c));
            }
        }
        ops.addAll(add);
        for (String name : redeclareChains) {
            ops.add(new Op.AddChain(name, desired.chains.get(name).hook));
        }
        for (String name : redeclare) {
            TableState.NftMap want = desired.maps.get(name);
            ops.add(new Op.AddMap(name, want.keyTypes, want.interval));
        }
        ops.addAll(addElems);
        for (String name : rewrite) {
            for (TableState.Rule r : desired.chains.get(name).rules) {
                ops.add(new Op.AddRule(name, r));
            }
        }
        return new Batch(ops);
    }
}
