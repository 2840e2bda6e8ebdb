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
 * transaction per slow tick. Each sample goes into the raw table and is folded into its minute and hour aggregates in
 * the same transaction, so the rollups are always consistent with the raw data and nothing has to catch up after a
 * restart. Old rows are pruned per resolution's retention.
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
    private long lastPruneMillis = Long.MIN_VALUE;
    private long batches, samplesWritten, writeFailures;

    private HistoryStore(String path, Connection db) throws SQLException {
        this.path = path;
        this.db = db;
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
        }
        db.setAutoCommit(false);
        insertRaw = db.prepareStatement("INSERT INTO samples_raw (ts, subject, metric, value) VALUES (?, ?, ?, ?)");
        int i = 0;
        for (Resolution r : new Resolution[] {Resolution.MINUTE, Resolution.HOUR}) {
            upsertAgg[i++] = db.prepareStatement("INSERT INTO " + r.table
                    + " (subject, metric, bucket, n, sum, min, max) VALUES (?, ?, ?, 1, ?, ?, ?)"
                    + " ON CONFLICT (subject, metric, bucket) DO UPDATE SET n = n + 1, sum = sum + excluded.sum,"
                    + " min = MIN(min, excluded.min), max = MAX(max, excluded.max)");
        }
    }

    public static HistoryStore open(Path file) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            return new HistoryStore(file.toString(), DriverManager.getConnection("jdbc:sqlite:" + file));
        } catch (Exception e) {
            throw new StoreException("open", file.toString(), e);
        }
    }

    /** Writes one tick's samples in one transaction; prunes at most once per {@link #PRUNE_EVERY_MILLIS}. */
    public void write(long nowMillis, List<Sample> samples) {
        try {
            for (Sample s : samples) {
                insertRaw.setLong(1, nowMillis);
                insertRaw.setString(2, s.subject());
                insertRaw.setString(3, s.metric());
                insertRaw.setDouble(4, s.value());
                insertRaw.addBatch();
                for (int i = 0; i < 2; i++) {
                    long width = (i == 0 ? Resolution.MINUTE : Resolution.HOUR).bucketMillis;
                    PreparedStatement u = upsertAgg[i];
                    u.setString(1, s.subject());
                    u.setString(2, s.metric());
                    u.setLong(3, Math.floorDiv(nowMillis, width) * width);
                    u.setDouble(4, s.value());
                    u.setDouble(5, s.value());
                    u.setDouble(6, s.value());
                    u.addBatch();
                }
            }
            insertRaw.executeBatch();
            upsertAgg[0].executeBatch();
            upsertAgg[1].executeBatch();
            if (nowMillis - lastPruneMillis >= PRUNE_EVERY_MILLIS || lastPruneMillis == Long.MIN_VALUE) {
                prune(nowMillis);
                lastPruneMillis = nowMillis;
            }
            db.commit();
            batches++;
            samplesWritten += samples.size();
        } catch (SQLException e) {
            writeFailures++;
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the original error is the one worth reporting
            }
            throw new StoreException("write " + samples.size() + " samples", path, e);
        }
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
            insertRaw.close();
            for (PreparedStatement p : upsertAgg) p.close();
            db.close();
        } catch (SQLException e) {
            throw new StoreException("close", path, e);
        }
    }
}
