package org.poolwarden.nft;

/**
 * Counters of a classifier instance, for /metrics.
 *
 * @param reconciles    applies run
 * @param batchesSent   applies that sent a batch
 * @param commandsSent  commands in those batches
 * @param driftsUndone  applies that found (and undid) an outside change to the table
 * @param failures      applies that failed (bad input or refused batch)
 * @param unchangedShortcuts applies of an unchanged desired state answered from the generation id, without a read
 * @param tableReads    applies that read the table back (the first, and any after someone else committed)
 */
public record ClassifierStats(long reconciles, long batchesSent, long commandsSent, long driftsUndone,
                              long failures, long unchangedShortcuts, long tableReads) {
}
