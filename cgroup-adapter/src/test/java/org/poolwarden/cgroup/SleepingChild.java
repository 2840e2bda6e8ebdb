package org.poolwarden.cgroup;

/** A child JVM for kernel tests: a process with many threads (the JVM's own plus four sleepers) that does nothing. */
public final class SleepingChild {
    private SleepingChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "sleeper-" + i);
            t.start();
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
