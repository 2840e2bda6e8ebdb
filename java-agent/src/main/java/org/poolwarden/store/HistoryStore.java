package org.poolwarden.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded history: SQLite in WAL mode (a crash loses at most the last uncommitted batch, never the file), one
 * transaction per slow tick. Each sample goes into the raw table at once; its minute and hour aggregates are kept in
 * memory for the current minute and written when the minute ends (in the transaction of the first sample of the next
 * one), which makes a tick one insert per sample instead of three statements. A watermark ({@code rollup_state},
 * written with every flush) says which raw rows the rollups hold: after a crash, {@link #open} folds the raw rows
 * beyond it (at most the last minute) into the rollups, so nothing is lost and nothing counted twice. Another
 * connection (the API's reader) sees a minute's rollup only once it is written, up to a minute late; the raw table,
 * which serves every query over the last hour, is never behind. Old rows are pruned per resolution's retention.
 *
 * <p>Not thread-safe: the control loop writes, queries come through the loop too (or open a second store read-only).
 */
public final class HistoryStore implements AutoCloseable {
    /** Pruning costs a few index range deletes; once a minute keeps tables near their retention. */
    public static final long PRUNE_EVERY_MILLIS = 60_000;

    private final String path;
    private final Connection db;
    private final PreparedStatement insertRaw;
    private final PreparedStatement[] upsertAgg = new PreparedStatement[2];
    private final PreparedStatement setWatermark;
    private long lastPruneMillis = Long.MIN_VALUE;
    /** The minute being aggregated in memory (Long.MIN_VALUE: none), its series, and the last sample time. */
    private long pendingMinute = Long.MIN_VALUE;
    private final java.util.Map<String, double[]> pending = new java.util.LinkedHashMap<>();
    private long lastWriteMillis;
    private long rollupFlushes;
    private long batches, samplesWritten, writeFailures;

    /** Raw rows kept in memory until their minute ends ({@link #openBuffered}), else written every tick. */
    private final boolean bufferRaw;
    private final List<Object[]> pendingRaw = new ArrayList<>();

    private HistoryStore(String path, Connection db, boolean bufferRaw) throws SQLException {
        this.path = path;
        this.db = db;
        this.bufferRaw = bufferRaw;
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            // NORMAL with WAL: durable across process crashes (kill -9); a power loss may drop the last commits.
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA busy_timeout=2000");
            s.execute("CREATE TABLE IF NOT EXISTS samples_raw (ts INTEGER NOT NULL, subject TEXT NOT NULL,"
                    + " metric TEXT NOT NULL, value REAL NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS samples_raw_key ON samples_raw (subject, metric, ts)");
            s.execute("CREATE INDEX IF NOT EXISTS samples_raw_ts ON samples_raw (ts)");
            for (Resolution r : new Resolution[] {Resolution.MINUTE, Resolution.HOUR}) {
                s.execute("CREATE TABLE IF NOT EXISTS " + r.table + " (subject TEXT NOT NULL, metric TEXT NOT NULL,"
                        + " bucket INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL,"
                        + " max REAL NOT NULL, PRIMARY KEY (subject, metric, bucket)) WITHOUT ROWID");
                s.execute("CREATE INDEX IF NOT EXISTS " + r.table + "_bucket ON " + r.table + " (bucket)");
            }
            s.execute("CREATE TABLE IF NOT EXISTS rollup_state (id INTEGER PRIMARY KEY CHECK (id = 0),"
                    + " folded_until INTEGER NOT NULL)");
        }
        db.setAutoCommit(false);
        recoverRollups();
        insertRaw = db.prepareStatement("INSERT INTO samples_raw (ts, subject, metric, value) VALUES (?, ?, ?, ?)");
        int i = 0;
        for (Resolution r : new Resolution[] {Resolution.MINUTE, Resolution.HOUR}) {
            upsertAgg[i++] = db.prepareStatement("INSERT INTO " + r.table
                    + " (subject, metric, bucket, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (subject, metric, bucket) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,"
                    + " min = MIN(min, excluded.min), max = MAX(max, excluded.max)");
        }
        setWatermark = db.prepareStatement("INSERT INTO rollup_state (id, folded_until) VALUES (0, ?)"
                + " ON CONFLICT (id) DO UPDATE SET folded_until = excluded.folded_until");
    }

    /**
     * Folds the raw rows the rollups do not hold yet (those of the minute a crash cut short) into them. A store
     * written before the watermark existed folded every row as it wrote it: it starts with everything folded.
     */
    private void recoverRollups() throws SQLException {
        try (Statement s = db.createStatement()) {
            Long until = null;
            try (ResultSet rs = s.executeQuery("SELECT folded_until FROM rollup_state WHERE id = 0")) {
                if (rs.next()) until = rs.getLong(1);
            }
            long maxTs;
            try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(ts), -1) FROM samples_raw")) {
                maxTs = rs.next() ? rs.getLong(1) : -1;
            }
            if (until == null) {
                s.execute("INSERT INTO rollup_state (id, folded_until) VALUES (0, " + (maxTs + 1) + ")");
            } else if (maxTs >= until) {
                for (Resolution r : new Resolution[] {Resolution.MINUTE, Resolution.HOUR}) {
                    long w = r.bucketMillis;
                    // "WHERE true": SQLite's upsert after INSERT ... SELECT needs a WHERE to parse unambiguously.
                    s.execute("INSERT INTO " + r.table + " (subject, metric, bucket, n, sum, min, max)"
                            + " SELECT subject, metric, (ts / " + w + ") * " + w + ", COUNT(*), SUM(value), MIN(value),"
                            + " MAX(value) FROM samples_raw WHERE ts >= " + until + " GROUP BY 1, 2, 3"
                            + " ON CONFLICT (subject, metric, bucket) DO UPDATE SET n = n + excluded.n,"
                            + " sum = sum + excluded.sum, min = MIN(min, excluded.min), max = MAX(max, excluded.max)");
                }
                s.execute("UPDATE rollup_state SET folded_until = " + (maxTs + 1) + " WHERE id = 0");
                recoveredRollups = true;
            }
        }
        db.commit();
    }

    private boolean recoveredRollups;

    /** Whether {@link #open} had to fold raw rows into the rollups (the last writer did not flush its minute). */
    public boolean recoveredRollups() {
        return recoveredRollups;
    }

    /** Minutes whose aggregates were written (the rollups' writes; a tick inside a minute writes none). */
    public long rollupFlushes() {
        return rollupFlushes;
    }

    public static HistoryStore open(Path file) {
        return open(file, false);
    }

    /**
     * A store that keeps each minute's raw rows in memory too and writes them, with the minute's rollups, in one
     * transaction when the minute ends: one commit a minute instead of one a tick (the agent's writer; with 500 apps
     * the per-tick commits were half of its CPU). A crash ({@code kill -9}, power loss) loses at most the minute not
     * written yet; what was written stays consistent (WAL). Readers on other connections see a minute once it is
     * written.
     */
    public static HistoryStore openBuffered(Path file) {
        return open(file, true);
    }

    private static HistoryStore open(Path file, boolean bufferRaw) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            return new HistoryStore(file.toString(), DriverManager.getConnection("jdbc:sqlite:" + file), bufferRaw);
        } catch (Exception e) {
            throw new StoreException("open", file.toString(), e);
        }
    }

    /** Writes one tick's samples in one transaction; prunes at most once per {@link #PRUNE_EVERY_MILLIS}. */
    public void write(long nowMillis, List<Sample> samples) {
        long minute = Math.floorDiv(nowMillis, Resolution.MINUTE.bucketMillis) * Resolution.MINUTE.bucketMillis;
        if (bufferRaw) {
            if (minute != pendingMinute && pendingMinute != Long.MIN_VALUE) {
                try {
                    commitBuffered(nowMillis); // every buffered row is older than this tick
                } catch (StoreException e) {
                    // the buffered minute stays for the next tick; this tick's samples are dropped (counted)
                    if (pendingRaw.size() > MAX_BUFFERED_ROWS) {
                        pendingRaw.clear();
                        pending.clear();
                    }
                    throw e;
                }
            }
            pendingMinute = minute;
            lastWriteMillis = nowMillis;
            for (Sample s : samples) pendingRaw.add(new Object[] {nowMillis, s});
            fold(samples);
            return;
        }
        try {
            // A new minute: the last one's aggregates go in with this tick's rows (every raw row before now folded).
            if (minute != pendingMinute && pendingMinute != Long.MIN_VALUE) flushRollups(nowMillis);
            for (Sample s : samples) {
                insertRaw.setLong(1, nowMillis);
                insertRaw.setString(2, s.subject());
                insertRaw.setString(3, s.metric());
                insertRaw.setDouble(4, s.value());
                insertRaw.addBatch();
            }
            insertRaw.executeBatch();
            if (nowMillis - lastPruneMillis >= PRUNE_EVERY_MILLIS || lastPruneMillis == Long.MIN_VALUE) {
                prune(nowMillis);
                lastPruneMillis = nowMillis;
            }
            db.commit();
            batches++;
            samplesWritten += samples.size();
            lastWriteMillis = nowMillis;
            clearFlushed();
            pendingMinute = minute;
            // Only once committed: a failed write leaves nothing of its samples anywhere.
            fold(samples);
        } catch (SQLException e) {
            pendingRolledBack();
            writeFailures++;
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the original error is the one worth reporting
            }
            throw new StoreException("write " + samples.size() + " samples", path, e);
        }
    }

    /** Bounds the memory a store that cannot write holds (a failing disk): about 20 minutes at 500 apps. */
    static final int MAX_BUFFERED_ROWS = 600_000;

    private void fold(List<Sample> samples) {
        for (Sample s : samples) {
            double[] a = pending.computeIfAbsent(s.subject() + '\0' + s.metric(),
                    k -> new double[] {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
            a[0]++;
            a[1] += s.value();
            a[2] = Math.min(a[2], s.value());
            a[3] = Math.max(a[3], s.value());
        }
    }

    /** The buffered raw rows and the pending minute's rollups in one transaction. */
    private void commitBuffered(long foldedUntil) {
        int n = pendingRaw.size();
        try {
            for (Object[] row : pendingRaw) {
                Sample s = (Sample) row[1];
                insertRaw.setLong(1, (Long) row[0]);
                insertRaw.setString(2, s.subject());
                insertRaw.setString(3, s.metric());
                insertRaw.setDouble(4, s.value());
                insertRaw.addBatch();
            }
            if (n > 0) insertRaw.executeBatch();
            flushRollups(foldedUntil);
            if (lastWriteMillis - lastPruneMillis >= PRUNE_EVERY_MILLIS || lastPruneMillis == Long.MIN_VALUE) {
                prune(lastWriteMillis);
                lastPruneMillis = lastWriteMillis;
            }
            db.commit();
            batches++;
            samplesWritten += n;
            pendingRaw.clear();
            clearFlushed();
        } catch (SQLException e) {
            pendingRolledBack();
            writeFailures++;
            try {
                insertRaw.clearBatch();
                db.rollback();
            } catch (SQLException ignored) {
                // the original error is the one worth reporting
            }
            throw new StoreException("write " + n + " buffered samples", path, e);
        }
    }

    /**
     * Writes the pending minute into the minute and hour rollups and moves the watermark to {@code foldedUntil}
     * (every raw row before it is in the rollups now), in the caller's transaction.
     */
    private void flushRollups(long foldedUntil) throws SQLException {
        if (!pending.isEmpty()) {
            for (int i = 0; i < 2; i++) {
                long width = (i == 0 ? Resolution.MINUTE : Resolution.HOUR).bucketMillis;
                long bucket = Math.floorDiv(pendingMinute, width) * width;
                PreparedStatement u = upsertAgg[i];
                for (java.util.Map.Entry<String, double[]> e : pending.entrySet()) {
                    int sep = e.getKey().indexOf('\0');
                    double[] a = e.getValue();
                    u.setString(1, e.getKey().substring(0, sep));
                    u.setString(2, e.getKey().substring(sep + 1));
                    u.setLong(3, bucket);
                    u.setLong(4, (long) a[0]);
                    u.setDouble(5, a[1]);
                    u.setDouble(6, a[2]);
                    u.setDouble(7, a[3]);
                    u.addBatch();
                }
                u.executeBatch();
            }
        }
        setWatermark.setLong(1, foldedUntil);
        setWatermark.executeUpdate();
        flushedPending = true;
    }

    /** Set by a flush inside the current transaction: the pending minute is cleared once that commits. */
    private boolean flushedPending;

    private void pendingRolledBack() {
        flushedPending = false; // the flush was rolled back with the rest: the minute is still pending
    }

    /** Writes the pending minute now (queries on this store, close): the rollups then hold every sample. */
    public void flush() {
        if (bufferRaw) {
            if (!pendingRaw.isEmpty() || !pending.isEmpty()) commitBuffered(lastWriteMillis + 1);
            return;
        }
        if (pending.isEmpty()) return;
        try {
            flushRollups(lastWriteMillis + 1);
            db.commit();
            clearFlushed();
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the original error is the one worth reporting
            }
            pendingRolledBack();
            throw new StoreException("flush rollups", path, e);
        }
    }

    private void clearFlushed() {
        if (flushedPending) {
            pending.clear();
            rollupFlushes++;
        }
        flushedPending = false;
    }

    private void prune(long nowMillis) throws SQLException {
        try (PreparedStatement d = db.prepareStatement("DELETE FROM samples_raw WHERE ts < ?")) {
            d.setLong(1, nowMillis - Resolution.RAW.retention.toMillis());
            d.executeUpdate();
        }
        for (Resolution r : new Resolution[] {Resolution.MINUTE, Resolution.HOUR}) {
            try (PreparedStatement d = db.prepareStatement("DELETE FROM " + r.table + " WHERE bucket < ?")) {
                // A bucket is kept while any part of it is within the retention.
                d.setLong(1, nowMillis - r.retention.toMillis() - r.bucketMillis);
                d.executeUpdate();
            }
        }
    }

    /** One point of a series: for raw data min = max = avg and n = 1. */
    public record Point(long timeMillis, double avg, double min, double max, long n) {}

    /** The series of one subject's metric in [since, until), at the finest resolution still holding {@code since}. */
    public List<Point> query(String subject, String metric, long sinceMillis, long untilMillis, long nowMillis) {
        return query(subject, metric, sinceMillis, untilMillis, Resolution.finestCovering(sinceMillis, nowMillis));
    }

    public List<Point> query(String subject, String metric, long sinceMillis, long untilMillis, Resolution r) {
        if (r != Resolution.RAW || bufferRaw) flush(); // this store's own pending minute: its queries see every sample
        String sql = r == Resolution.RAW
                ? "SELECT ts, value, value, value, 1 FROM samples_raw WHERE subject = ? AND metric = ? AND ts >= ?"
                + " AND ts < ? ORDER BY ts"
                : "SELECT bucket, sum / n, min, max, n FROM " + r.table + " WHERE subject = ? AND metric = ?"
                + " AND bucket >= ? AND bucket < ? ORDER BY bucket";
        try (PreparedStatement q = db.prepareStatement(sql)) {
            q.setString(1, subject);
            q.setString(2, metric);
            q.setLong(3, r == Resolution.RAW ? sinceMillis : Math.floorDiv(sinceMillis, r.bucketMillis) * r.bucketMillis);
            q.setLong(4, untilMillis);
            List<Point> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new Point(rs.getLong(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), rs.getLong(5)));
                }
            }
            db.commit(); // end the read transaction so WAL checkpoints are not held back
            return out;
        } catch (SQLException e) {
            throw new StoreException("query " + subject + " " + metric, path, e);
        }
    }

    /** Average, minimum and maximum over a period: the seed's "utilization summary". */
    public record Summary(double avg, double min, double max, long samples) {}

    public Summary summary(String subject, String metric, long sinceMillis, long untilMillis, long nowMillis) {
        List<Point> pts = query(subject, metric, sinceMillis, untilMillis, nowMillis);
        if (pts.isEmpty()) return null;
        double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        long n = 0;
        for (Point p : pts) {
            sum += p.avg() * p.n();
            n += p.n();
            min = Math.min(min, p.min());
            max = Math.max(max, p.max());
        }
        return new Summary(sum / n, min, max, n);
    }

    /** Periods (by point) where a metric was above a threshold: the seed's "threshold breaches". */
    public List<Point> breaches(String subject, String metric, double threshold, long sinceMillis, long untilMillis,
                                long nowMillis) {
        List<Point> out = new ArrayList<>();
        for (Point p : query(subject, metric, sinceMillis, untilMillis, nowMillis)) if (p.max() > threshold) out.add(p);
        return out;
    }

    /** Row counts per table, for tests and the status command. */
    public long rows(Resolution r) {
        flush();
        return Long.parseLong(scalar("SELECT COUNT(*) FROM " + r.table));
    }

    public String journalMode() {
        return scalar("PRAGMA journal_mode");
    }

    public String integrityCheck() {
        return scalar("PRAGMA integrity_check");
    }

    private String scalar(String sql) {
        String v;
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            v = rs.getString(1);
        } catch (SQLException e) {
            throw new StoreException(sql, path, e);
        }
        try {
            db.commit(); // after the result set is closed: ends the read transaction
        } catch (SQLException e) {
            throw new StoreException("commit", path, e);
        }
        return v;
    }

    public long batches() {
        return batches;
    }

    public long samplesWritten() {
        return samplesWritten;
    }

    public long writeFailures() {
        return writeFailures;
    }

    @Override
    public void close() {
        try {
            flush(); // a clean stop leaves the rollups complete
            insertRaw.close();
            setWatermark.close();
            for (PreparedStatement p : upsertAgg) p.close();
            db.close();
        } catch (SQLException e) {
            throw new StoreException("close", path, e);
        }
    }
}
