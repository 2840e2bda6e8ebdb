package org.poolwarden.nft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.poolwarden.os.KernelException;

/**
 * An in-memory classifier for tests of everything above it. Its {@link Kernel} interprets batches the way the
 * kernel does (all or nothing, duplicate or missing elements refused) and can be shared by several instances to
 * simulate a restart.
 */
public final class FakeFlowClassifier extends ReconcilingFlowClassifier {
    private final Kernel kernel;

    public FakeFlowClassifier() {
        this(new Kernel());
    }

    public FakeFlowClassifier(Kernel kernel) {
        super(new TableRenderer(""));
        this.kernel = kernel;
    }

    public Kernel kernel() {
        return kernel;
    }

    /** The fake kernel: one table and its counter values. */
    public static final class Kernel {
        private TableState table = TableState.absent();
        private final Map<String, Traffic> counterValues = new LinkedHashMap<>();
        private long transactions;

        public synchronized TableState table() {
            return table.copy();
        }

        public synchronized long transactions() {
            return transactions;
        }

        /** Traffic passing through app {@code app}'s chain, as the kernel would count it. */
        public synchronized void count(String app, long packets, long bytes) {
            String name = "app_" + app;
            if (table.counters.contains(name)) {
                counterValues.merge(name, new Traffic(packets, bytes), Traffic::plus);
            }
        }

        /** Applies a batch atomically, as a transaction: on any error nothing changes. */
        public synchronized void run(List<Op> ops) {
            TableState t = table.copy();
            for (Op op : ops) {
                apply(t, op);
            }
            table = t;
            counterValues.keySet().retainAll(t.counters);
            transactions++;
        }

        private static void apply(TableState t, Op op) {
            if (!(op instanceof Op.AddTable) && !t.present) {
                throw refused(op, "No such file or directory");
            }
            if (op instanceof Op.AddTable) {
                t.present = true;
            } else if (op instanceof Op.DeleteTable) {
                t.present = false;
                t.counters.clear();
                t.chains.clear();
                t.maps.clear();
                t.foreign.clear();
            } else if (op instanceof Op.AddCounter c) {
                t.counters.add(c.name());
            } else if (op instanceof Op.DeleteCounter c) {
                if (!t.counters.remove(c.name())) {
                    throw refused(op, "No such file or directory");
                }
            } else if (op instanceof Op.AddChain c) {
                t.chains.putIfAbsent(c.name(), new TableState.Chain(c.name(), c.hook()));
            } else if (op instanceof Op.FlushChain c) {
                chain(t, op, c.name()).rules.clear();
            } else if (op instanceof Op.DeleteChain c) {
                if (!chain(t, op, c.name()).rules.isEmpty()) {
                    throw refused(op, "Device or resource busy");
                }
                t.chains.remove(c.name());
            } else if (op instanceof Op.AddRule r) {
                chain(t, op, r.chain()).rules.add(r.rule());
            } else if (op instanceof Op.AddMap m) {
                t.maps.putIfAbsent(m.name(), new TableState.NftMap(m.name(), "map:verdict", m.keyTypes(),
                        m.interval(), new LinkedHashMap<>()));
            } else if (op instanceof Op.DeleteMap m) {
                if (t.maps.remove(m.name()) == null) {
                    throw refused(op, "No such file or directory");
                }
            } else if (op instanceof Op.AddElements e) {
                TableState.NftMap m = map(t, op, e.map());
                for (Map.Entry<List<Interval>, String> x : e.elements()) {
                    if (m.elements.putIfAbsent(x.getKey(), x.getValue()) != null) {
                        throw refused(op, "File exists");
                    }
                }
            } else if (op instanceof Op.DeleteElements e) {
                TableState.NftMap m = map(t, op, e.map());
                for (List<Interval> k : e.keys()) {
                    if (m.elements.remove(k) == null) {
                        throw refused(op, "No such file or directory");
                    }
                }
            } else if (op instanceof Op.DeleteForeign f) {
                t.foreign.remove(new TableState.Foreign(f.kind(), f.name()));
            } else {
                throw new IllegalStateException("unknown op " + op);
            }
        }

        private static TableState.Chain chain(TableState t, Op op, String name) {
            TableState.Chain c = t.chains.get(name);
            if (c == null) {
                throw refused(op, "No such file or directory");
            }
            return c;
        }

        private static TableState.NftMap map(TableState t, Op op, String name) {
            TableState.NftMap m = t.maps.get(name);
            if (m == null || m.elements == null) {
                throw refused(op, "No such file or directory");
            }
            return m;
        }

        private static KernelException refused(Op op, String why) {
            return new KernelException("nft", op.text().length() > 120 ? op.text().substring(0, 117) + "..." : op.text(),
                    0, "Error: Could not process rule: " + why);
        }
    }

    @Override
    TableState read() {
        return kernel.table();
    }

    @Override
    long generation() {
        return kernel.transactions();
    }

    @Override
    void send(Batch batch) {
        kernel.run(batch.ops());
    }

    @Override
    Map<String, Traffic> readCounters() {
        synchronized (kernel) {
            Map<String, Traffic> out = new LinkedHashMap<>();
            for (String c : kernel.table.counters) {
                out.put(c, kernel.counterValues.getOrDefault(c, Traffic.ZERO));
            }
            return out;
        }
    }

    @Override
    public void close() {
    }
}
