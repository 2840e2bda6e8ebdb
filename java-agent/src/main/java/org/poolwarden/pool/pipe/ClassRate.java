package org.poolwarden.pool.pipe;

/**
 * What the HTB tree gets for one application class, in bytes per second.
 *
 * @param appId               the class
 * @param rateBytesPerSec     guaranteed rate: the class's part of the host's booked grant
 * @param ceilBytesPerSec     borrowing limit: the host's whole credit (never below the rate)
 * @param expectedBytes       what the class should send this tick if HTB shares the credit max-min (bookings first,
 *                            then equal shares of the rest up to each class's demand); used by simulations and
 *                            status, not written to the kernel
 */
public record ClassRate(String appId, long rateBytesPerSec, long ceilBytesPerSec, long expectedBytes) {
}
