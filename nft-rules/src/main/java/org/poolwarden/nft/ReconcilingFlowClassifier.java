package org.poolwarden.nft;

import java.util.Map;

/**
 * The reconcile loop shared by the real and the fake classifier: render, read, diff, send. Subclasses only read
 * and write the table.
 */
abstract class ReconcilingFlowClassifier implements FlowClassifier {
    private final TableRenderer renderer;
    private TableState lastApplied;
    private long reconciles;
    private long batchesSent;
    private long commandsSent;
    private long drifts;
    private long failures;

    ReconcilingFlowClassifier(TableRenderer renderer) {
        this.renderer = renderer;
    }

    /** The table as it is now (absent: {@link TableState#absent()}). */
    abstract TableState read();

    /** Sends one batch as one transaction; all or nothing. */
    abstract void send(Batch batch);

    /** Counter name → value for every named counter of the table. */
    abstract Map<String, Traffic> readCounters();

    /** Checks what only the real system can (e.g. that cgroups exist); throws {@link InvalidFlowConfigException}. */
    void precheck(DesiredState desired) {
    }

    @Override
    public synchronized Reconcile apply(DesiredState desired) {
        reconciles++;
        try {
            TableState want = renderer.render(desired);
            precheck(desired);
            TableState have = read();
            boolean adopted = lastApplied == null && have.present;
            boolean drift = lastApplied != null && !TableDiff.between(have, lastApplied).isEmpty();
            Batch batch = TableDiff.between(have, want);
            if (!batch.isEmpty()) {
                send(batch);
                batchesSent++;
                commandsSent += batch.size();
            }
            if (drift) {
                drifts++;
            }
            lastApplied = want;
            return new Reconcile(batch.size(), drift, adopted);
        } catch (RuntimeException e) {
            failures++;
            throw e;
        }
    }

    @Override
    public synchronized AppCounters counters() {
        return AppCounters.fromCounters(readCounters());
    }

    @Override
    public synchronized ClassifierStats stats() {
        return new ClassifierStats(reconciles, batchesSent, commandsSent, drifts, failures);
    }

    @Override
    public synchronized void removeAll() {
        Batch b = TableDiff.between(read(), TableState.absent());
        if (!b.isEmpty()) {
            send(b);
        }
        lastApplied = null;
    }
}
