package org.poolwarden.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IntTableTest {
    /** Random puts and removes over a small key range (long probe runs, many shifts) agree with a HashMap. */
    @Test
    void behavesLikeAHashMap() {
        for (int seed = 0; seed < 20; seed++) {
            Random r = new Random(seed);
            IntTable<String> t = new IntTable<>();
            Map<Integer, String> m = new HashMap<>();
            int range = seed % 2 == 0 ? 64 : 100_000;
            for (int op = 0; op < 20_000; op++) {
                int k = r.nextInt(range) - (seed % 3 == 0 ? range / 2 : 0);
                if (r.nextInt(3) == 0) {
                    assertEquals(m.remove(k), t.remove(k), "remove " + k);
                } else {
                    String v = "v" + op;
                    assertEquals(m.put(k, v), t.put(k, v), "put " + k);
                }
                assertEquals(m.size(), t.size());
                int probe = r.nextInt(range);
                assertEquals(m.get(probe), t.get(probe), "get " + probe);
                assertEquals(m.containsKey(probe), t.containsKey(probe));
            }
            for (Map.Entry<Integer, String> e : m.entrySet()) assertEquals(e.getValue(), t.get(e.getKey()));
            int[] keys = t.keys();
            Arrays.sort(keys);
            assertEquals(m.keySet().stream().mapToInt(Integer::intValue).sorted().boxed().toList(),
                    Arrays.stream(keys).boxed().toList());
            List<String> vals = new ArrayList<>();
            t.forEachValue(vals::add);
            vals.sort(null);
            List<String> expected = new ArrayList<>(m.values());
            expected.sort(null);
            assertEquals(expected, vals);
        }
    }

    @Test
    void pidsLikeAProcTableRemoveAll() {
        IntTable<Integer> t = new IntTable<>();
        for (int pid = 1; pid <= 5_000; pid++) t.put(pid * 7, pid);
        assertEquals(5_000, t.size());
        for (int pid = 1; pid <= 5_000; pid++) assertEquals(pid, t.remove(pid * 7));
        assertEquals(0, t.size());
        assertNull(t.get(7));
        assertEquals(0, t.keys().length);
    }

    @Test
    void nullValuesAreRejected() {
        IntTable<String> t = new IntTable<>();
        assertThrows(IllegalArgumentException.class, () -> t.put(1, null));
        assertEquals(0, t.size());
    }
}
