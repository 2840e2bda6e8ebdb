package org.poolwarden.detect;

import java.nio.charset.StandardCharsets;

/**
 * The fields of /proc/PID/stat that detection and sampling need. {@code startTime} (clock ticks after boot) with the
 * pid identifies a process: a reused pid has a different start time. {@code cpuTicks} is utime + stime (clock ticks,
 * all threads), so one read serves both the detector and the CPU sampler.
 */
public record ProcStat(int pid, String comm, char state, int ppid, int sessionId, long startTime, long cpuTicks) {

    /**
     * Parses "pid (comm) state ppid pgrp session ... starttime(22nd) ...". The name may contain spaces and
     * parentheses, so it runs from the first '(' to the last ')'. Null when malformed.
     */
    static ProcStat parse(int pid, byte[] b, int len) {
        int open = -1, close = -1;
        for (int i = 0; i < len; i++) {
            if (b[i] == '(') {
                open = i;
                break;
            }
        }
        for (int i = len - 1; i > open; i--) {
            if (b[i] == ')') {
                close = i;
                break;
            }
        }
        if (open < 0 || close < 0) return null;
        String comm = new String(b, open + 1, close - open - 1, StandardCharsets.UTF_8);
        // Fields after the name, numbered as in proc(5): 3 = state, 4 = ppid, 6 = session, 14/15 = utime/stime,
        // 22 = starttime.
        int field = 3;
        int i = close + 2;
        char state = '?';
        long ppid = -1, session = -1, start = -1, utime = -1, stime = -1;
        while (i < len && field <= 22) {
            int j = i;
            while (j < len && b[j] != ' ' && b[j] != '\n') j++;
            if (field == 3) state = (char) b[i];
            else if (field == 4) ppid = num(b, i, j);
            else if (field == 6) session = num(b, i, j);
            else if (field == 14) utime = num(b, i, j);
            else if (field == 15) stime = num(b, i, j);
            else if (field == 22) start = num(b, i, j);
            field++;
            i = j + 1;
        }
        if (ppid < 0 || session < -1 || start < 0 || utime < 0 || stime < 0) return null;
        return new ProcStat(pid, comm, state, (int) ppid, (int) session, start, utime + stime);
    }

    private static long num(byte[] b, int from, int to) {
        long v = 0;
        boolean neg = from < to && b[from] == '-';
        for (int i = neg ? from + 1 : from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) return Long.MIN_VALUE;
            v = v * 10 + d;
        }
        return neg ? -v : v;
    }
}
