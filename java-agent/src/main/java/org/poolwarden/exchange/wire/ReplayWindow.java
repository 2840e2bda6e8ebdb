package org.poolwarden.exchange.wire;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-sender sliding window over packet sequence numbers (as in IPsec's anti-replay window): a sequence is accepted
 * once, and only if it is newer than the highest seen minus the window. Senders start their sequence at their boot
 * time in microseconds, so a restarted sender is ahead of what peers remember. Fed only with authenticated
 * packets, so its size is bounded by the pool, and capped anyway.
 */
public final class ReplayWindow {
    public static final int WINDOW = 64;

    private final int maxSenders;
    private final LinkedHashMap<Long, long[]> state; // sender -> {highest, bitmap}

    public ReplayWindow(int maxSenders) {
        this.maxSenders = maxSenders;
        this.state = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, long[]> eldest) {
                return size() > ReplayWindow.this.maxSenders;
            }
        };
    }

    /** Whether this sequence is fresh; does not record it. */
    public boolean isFresh(long sender, long sequence) {
        long[] s = state.get(sender);
        if (s == null || sequence > s[0]) {
            return true;
        }
        long back = s[0] - sequence;
        return back < WINDOW && (s[1] & (1L << back)) == 0;
    }

    /** Records an accepted sequence; call only after {@link #isFresh} said yes and the packet was accepted. */
    public void record(long sender, long sequence) {
        long[] s = state.get(sender);
        if (s == null) {
            state.put(sender, new long[] {sequence, 1L});
            return;
        }
        if (sequence > s[0]) {
            long shift = sequence - s[0];
            s[1] = shift >= WINDOW ? 1L : (s[1] << shift) | 1L;
            s[0] = sequence;
        } else {
            long back = s[0] - sequence;
            if (back < WINDOW) {
                s[1] |= 1L << back;
            }
        }
    }

    /** Forget a sender (reaped member). */
    public void forget(long sender) {
        state.remove(sender);
    }

    public int size() {
        return state.size();
    }
}
