package org.poolwarden.detect;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * An int → object hash table (open addressing, linear probing, backward-shift deletion), so the detector's per-tick
 * look-ups of 5,000 pids box no {@code Integer}. Values are never null (null marks a free slot). Not thread-safe.
 */
final class IntTable<V> {
    private int[] keys;
    private Object[] vals;
    private int size;

    IntTable() {
        this(16);
    }

    IntTable(int expected) {
        int cap = 16;
        while (cap < expected * 2) cap <<= 1;
        keys = new int[cap];
        vals = new Object[cap];
    }

    int size() {
        return size;
    }

    private int slot(int key) {
        int h = key * 0x9E3779B9; // Fibonacci hashing: consecutive pids spread over the table
        return (h ^ (h >>> 16)) & (keys.length - 1);
    }

    @SuppressWarnings("unchecked")
    V get(int key) {
        int mask = keys.length - 1;
        for (int i = slot(key); vals[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) return (V) vals[i];
        }
        return null;
    }

    boolean containsKey(int key) {
        return get(key) != null;
    }

    /** Returns the previous value, or null. */
    @SuppressWarnings("unchecked")
    V put(int key, V value) {
        if (value == null) throw new IllegalArgumentException("null value for key " + key);
        if ((size + 1) * 2 > keys.length) grow();
        int mask = keys.length - 1;
        int i = slot(key);
        for (; vals[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                V old = (V) vals[i];
                vals[i] = value;
                return old;
            }
        }
        keys[i] = key;
        vals[i] = value;
        size++;
        return null;
    }

    /** Returns the removed value, or null. */
    @SuppressWarnings("unchecked")
    V remove(int key) {
        int mask = keys.length - 1;
        int i = slot(key);
        while (vals[i] != null && keys[i] != key) i = (i + 1) & mask;
        if (vals[i] == null) return null;
        V old = (V) vals[i];
        // Backward shift: move later entries of the probe run into the gap so every lookup still finds them.
        int gap = i;
        for (int j = (gap + 1) & mask; vals[j] != null; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            // j's entry may move into the gap only if its home is not cyclically in (gap, j]
            boolean stays = gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
            if (!stays) {
                keys[gap] = keys[j];
                vals[gap] = vals[j];
                gap = j;
            }
        }
        vals[gap] = null;
        keys[gap] = 0;
        size--;
        return old;
    }

    /** Every value, in table order; the table must not be changed meanwhile. */
    @SuppressWarnings("unchecked")
    void forEachValue(Consumer<? super V> action) {
        for (Object v : vals) if (v != null) action.accept((V) v);
    }

    /** The keys, in table order. */
    int[] keys() {
        int[] out = new int[size];
        int n = 0;
        for (int i = 0; i < vals.length; i++) if (vals[i] != null) out[n++] = keys[i];
        return out;
    }

    /** Slot-level access for allocation-free loops: {@link #capacity()} slots, null where free. */
    int capacity() {
        return vals.length;
    }

    @SuppressWarnings("unchecked")
    V valueAt(int slot) {
        return (V) vals[slot];
    }

    private void grow() {
        int[] oldKeys = keys;
        Object[] oldVals = vals;
        keys = new int[oldKeys.length * 2];
        vals = new Object[oldVals.length * 2];
        size = 0;
        for (int i = 0; i < oldVals.length; i++) if (oldVals[i] != null) put(oldKeys[i], castV(oldVals[i]));
    }

    @SuppressWarnings("unchecked")
    private V castV(Object o) {
        return (V) o;
    }

    @Override
    public String toString() {
        return "IntTable" + Arrays.toString(keys());
    }
}
