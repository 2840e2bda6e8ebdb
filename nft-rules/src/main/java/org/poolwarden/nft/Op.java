package org.poolwarden.nft;

import java.util.List;
import java.util.Map;

/** One command of a batch on table {@code inet poolwarden}, with its nftables text. */
public sealed interface Op {
    String T = TableState.FAMILY + " " + TableState.TABLE;

    /** The command as nftables text (one line). */
    String text();

    record AddTable() implements Op {
        public String text() {
            return "add table " + T;
        }
    }

    record AddCounter(String name) implements Op {
        public String text() {
            return "add counter " + T + " " + name;
        }
    }

    record AddChain(String name, TableState.Hook hook) implements Op {
        public String text() {
            if (hook == null) {
                return "add chain " + T + " " + name;
            }
            return "add chain " + T + " " + name + " { type " + hook.type() + " hook " + hook.hook() + " priority "
                    + hook.priority() + "; policy " + hook.policy() + "; }";
        }
    }

    record AddMap(String name, List<String> keyTypes, boolean interval) implements Op {
        public String text() {
            return "add map " + T + " " + name + " { type " + String.join(" . ", keyTypes) + " : verdict; "
                    + (interval ? "flags interval; " : "") + "}";
        }
    }

    /** Elements of one map; the key fields are rendered with their types. */
    record AddElements(String map, List<FieldType> types, List<Map.Entry<List<Interval>, String>> elements)
            implements Op {
        public String text() {
            StringBuilder sb = new StringBuilder("add element ").append(T).append(' ').append(map).append(" { ");
            boolean first = true;
            for (Map.Entry<List<Interval>, String> e : elements) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                key(sb, types, e.getKey()).append(" : ").append(e.getValue());
            }
            return sb.append(" }").toString();
        }
    }

    record DeleteElements(String map, List<FieldType> types, List<List<Interval>> keys) implements Op {
        public String text() {
            StringBuilder sb = new StringBuilder("delete element ").append(T).append(' ').append(map).append(" { ");
            boolean first = true;
            for (List<Interval> k : keys) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                key(sb, types, k);
            }
            return sb.append(" }").toString();
        }
    }

    record AddRule(String chain, TableState.Rule rule) implements Op {
        public String text() {
            return "add rule " + T + " " + chain + " " + rule.text() + " comment \"" + rule.id() + "\"";
        }
    }

    record FlushChain(String name) implements Op {
        public String text() {
            return "flush chain " + T + " " + name;
        }
    }

    record DeleteChain(String name) implements Op {
        public String text() {
            return "delete chain " + T + " " + name;
        }
    }

    /** {@code kind} is "map" or "set". */
    record DeleteMap(String kind, String name) implements Op {
        public String text() {
            return "delete " + kind + " " + T + " " + name;
        }
    }

    record DeleteCounter(String name) implements Op {
        public String text() {
            return "delete counter " + T + " " + name;
        }
    }

    record DeleteForeign(String kind, String name) implements Op {
        public String text() {
            return "delete " + kind + " " + T + " " + name;
        }
    }

    /** Removes the whole table: only for {@code --cleanup}, never during reconcile. */
    record DeleteTable() implements Op {
        public String text() {
            return "delete table " + T;
        }
    }

    private static StringBuilder key(StringBuilder sb, List<FieldType> types, List<Interval> key) {
        for (int i = 0; i < key.size(); i++) {
            if (i > 0) {
                sb.append(" . ");
            }
            sb.append(types.get(i).format(key.get(i)));
        }
        return sb;
    }
}
