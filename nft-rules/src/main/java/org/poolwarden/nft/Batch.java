package org.poolwarden.nft;

import java.util.List;

/** The commands that turn one table state into another; sent as one buffer, so one kernel transaction. */
public record Batch(List<Op> ops) {
    public Batch {
        ops = List.copyOf(ops);
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    public int size() {
        return ops.size();
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Op op : ops) {
            sb.append(op.text()).append('\n');
        }
        return sb.toString();
    }
}
