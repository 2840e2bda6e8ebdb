package org.poolwarden.store;

import java.nio.file.Path;
import java.util.List;

/** Run in a child JVM by HistoryStoreTest: writes batches forever, printing each committed batch number. */
public final class CrashWriter {
    public static void main(String[] args) {
        HistoryStore s = HistoryStore.open(Path.of(args[0]));
        long t = 1_700_000_000_000L;
        for (int i = 1; ; i++) {
            s.write(t + i * 2000L, List.of(new Sample("app", "cpu", i), new Sample("app", "net", i * 2.0),
                    new Sample("host", "cpu", 50)));
            System.out.println("committed " + i);
            System.out.flush();
        }
    }
}
