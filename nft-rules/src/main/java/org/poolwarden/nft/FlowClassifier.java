package org.poolwarden.nft;

/**
 * The flow classifier port: "make table {@code inet poolwarden} classify flows like this" and "what has each app
 * sent". Implementations touch only that table.
 */
public interface FlowClassifier extends AutoCloseable {
    /**
     * Reconciles the table to {@code desired}: reads what is there, sends the difference as one atomic batch (nothing
     * when there is none), and undoes (and counts) any outside change since the last apply. Bad input throws
     * {@link InvalidFlowConfigException} before anything is sent; a refused batch throws
     * {@link org.poolwarden.os.KernelException} and changes nothing.
     */
    Reconcile apply(DesiredState desired);

    /** Per-app packets and bytes since the app's counter was created, read without listing the maps. */
    AppCounters counters();

    ClassifierStats stats();

    /** Removes the whole table (for {@code --cleanup}); nothing else is touched. */
    void removeAll();

    @Override
    void close();

    /**
     * What one apply did.
     *
     * @param commands commands sent in the one batch (0: nothing was sent)
     * @param drift    the table differed from what this instance last applied (an outside change, undone)
     * @param adopted  first apply of this instance found the table already there (a restart) and took it over
     */
    record Reconcile(int commands, boolean drift, boolean adopted) {
    }
}
