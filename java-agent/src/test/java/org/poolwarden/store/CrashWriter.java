package org.poolwarden.store;

import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM by HistoryStoreTest: writes batches forever, printing each committed batch number ("committed
 * N"), or with a second argument "buffered" through {@link HistoryStore#openBuffered}, each batch handed over
 * ("written N").
 */
public final class CrashWriter {
    public static void main(String[] args) {
        boolean buffered = args.length > 1 && args[1].equals("buffered");
        HistoryStore s = buffered ? HistoryStore.openBuffered(Path.of(args[0])) : HistoryStore.open(Path.of(args[0]));
        long t = 1_700_000_000_000L;
        for (int i = 1; ; i++) {
            s.write(t + i * 2000L, List.of(new Sample("app", "cpu", i), new Sample("app", "net", i * 2.0),
                    new Sample("host", "cpu", 50)));
            System.out.println((buffered ? "written " : "committed ") + i);
            System.out.flush();
        }
    }
}
