package org.poolwarden.nft;

import java.util.Map;
import java.util.Objects;

/**
 * The reconcile loop shared by the real and the fake classifier: render, read, diff, send. Subclasses only read
 * and write the table.
 */
abstract class ReconcilingFlowClassifier implements FlowClassifier {
    private TableRenderer renderer;
    private TableState lastApplied;
    private DesiredState lastDesired;
    private Object lastEnvironment;
    /** The ruleset generation right after our last read or commit; -1 when unknown. */
    private long lastGeneration = -1;
    private long unchangedShortcuts;
    private long tableReads;
    private long reconciles;
    private long batchesSent;
    private long commandsSent;
    private long drifts;
    private long failures;

    ReconcilingFlowClassifier(TableRenderer renderer) {
        this.renderer = renderer;
    }

    /** For subclasses whose renderer needs {@code this}; call from the constructor only. */
    void renderer(TableRenderer r) {
        this.renderer = r;
    }

    TableRenderer renderer() {
        return renderer;
    }

    /** The table as it is now (absent: {@link TableState#absent()}). */
    abstract TableState read();

    /** Sends one batch as one transaction; all or nothing. */
    abstract void send(Batch batch);

    /** Counter name → value for every named counter of the table. */
    abstract Map<String, Traffic> readCounters();

    /**
     * The ruleset generation id: changes with every committed transaction in the namespace, ours or anyone's.
     * Lets an apply of an unchanged desired state skip reading the table when nothing at all was committed.
     */
    abstract long generation();

    /**
     * What else, outside the desired state, the rendered table depends on (the cgroups' ids); an unchanged desired
     * state with a changed environment is rendered and compared again.
     */
    Object environment(DesiredState desired) {
        return null;
    }

    /** Checks what only the real system can (e.g. that cgroups exist); throws {@link InvalidFlowConfigException}. */
    void precheck(DesiredState desired) {
    }

    @Override
    public synchronized Reconcile apply(DesiredState desired) {
        reconciles++;
        try {
            precheck(desired);
            Object env = environment(desired);
            boolean sameDesired = lastApplied != null && desired.equals(lastDesired) && Objects.equals(env, lastEnvironment);
            TableState want = sameDesired ? lastApplied : renderer().render(desired);
            long g0 = generation();
            if (sameDesired && lastGeneration >= 0 && g0 == lastGeneration) {
                // Nothing was committed anywhere since we last saw the table as we want it: no read, no batch.
                unchangedShortcuts++;
                return new Reconcile(0, false, false);
            }
            // Nothing committed since our last look: the kernel holds exactly what we last applied. Only when
            // something was committed (by anyone) is the table read back, diffed, and checked for drift.
            boolean known = lastApplied != null && lastGeneration >= 0 && g0 == lastGeneration;
            TableState have = known ? lastApplied : read();
            if (!known) {
                tableReads++;
            }
            boolean adopted = lastApplied == null && have.present;
            boolean drift = lastApplied != null && !TableDiff.between(have, lastApplied).isEmpty();
            Batch batch = TableDiff.between(have, want);
            long g = g0;
            if (!batch.isEmpty()) {
                send(batch);
                batchesSent++;
                commandsSent += batch.size();
                long g1 = generation();
                // Exactly one commit since g0 means only ours: the table is now exactly "want".
                g = g1 == g0 + 1 ? g1 : -1;
            }
            if (drift) {
                drifts++;
            }
            lastApplied = want;
            lastDesired = desired;
            lastEnvironment = env;
            lastGeneration = g;
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
        return new ClassifierStats(reconciles, batchesSent, commandsSent, drifts, failures, unchangedShortcuts, tableReads);
    }

    @Override
    public synchronized void removeAll() {
        Batch b = TableDiff.between(read(), TableState.absent());
        if (!b.isEmpty()) {
            send(b);
        }
        lastApplied = null;
        lastDesired = null;
        lastGeneration = -1;
    }
}
