package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;

import org.junit.jupiter.api.Test;

class KernelTableReaderTest {
    /** small-table.json is what nft 1.0.6 listed after loading small-batch.nft. */
    @Test
    void kernelListingOfTheGoldenBatchReadsBackAsTheRenderedState() throws IOException {
        TableState read = KernelTableReader.table(TableRendererTest.resource("small-table.json"));
        TableState rendered = new TableRenderer("unified").render(Samples.small());
        assertTrue(read.present);
        assertEquals(rendered.elementCount(), read.elementCount());
        assertTrue(TableDiff.between(read, rendered).isEmpty(), () -> TableDiff.between(read, rendered).text());
        assertEquals(rendered.counters, read.counters);
    }

    @Test
    void aDifferentDesiredStateIsADifferenceEvenWithTheSameShapes() throws IOException {
        TableState read = KernelTableReader.table(TableRendererTest.resource("small-table.json"));
        TableState other = new TableRenderer("").render(Samples.small());   // other cgroup path: another rule
        Batch b = TableDiff.between(read, other);
        assertEquals("flush chain inet poolwarden output", b.ops().get(0).text());
        assertTrue(b.ops().stream().noneMatch(o -> o instanceof Op.AddElements), b.text());
    }

    @Test
    void foreignRulesAndObjectsAreSeen() {
        String json = """
                {"nftables": [{"metainfo": {"version": "1.0.6"}},
                 {"table": {"family": "inet", "name": "poolwarden", "handle": 1}},
                 {"quota": {"family": "inet", "name": "q", "table": "poolwarden", "bytes": 1}},
                 {"set": {"family": "inet", "name": "s", "table": "poolwarden", "type": "ipv4_addr", "elem": ["10.0.0.1"]}},
                 {"chain": {"family": "inet", "table": "poolwarden", "name": "flows", "handle": 2}},
                 {"rule": {"family": "inet", "table": "poolwarden", "chain": "flows", "handle": 7, "expr": []}}]}""";
        TableState t = KernelTableReader.table(json);
        assertEquals("foreign@7", t.chains.get("flows").rules.get(0).id());
        assertEquals("set", t.maps.get("s").kind);
        assertEquals(1, t.foreign.size());
        Batch b = TableDiff.between(t, new TableRenderer("").render(DesiredState.empty()));
        String text = b.text();
        assertTrue(text.contains("delete quota inet poolwarden q"), text);
        assertTrue(text.contains("delete set inet poolwarden s"), text);
        assertTrue(text.contains("flush chain inet poolwarden flows"), text);
        assertFalse(text.contains("add table"), text);
    }

    @Test
    void countersParse() {
        Map<String, Traffic> c = KernelTableReader.counters("""
                {"nftables": [{"metainfo": {}}, {"counter": {"family": "inet", "name": "app_web", "table": "poolwarden",
                "handle": 1, "packets": 12, "bytes": 3400}}, {"counter": {"name": "unclassified", "packets": 1, "bytes": 60}}]}""");
        AppCounters a = AppCounters.fromCounters(c);
        assertEquals(new Traffic(12, 3400), a.of("web"));
        assertEquals(new Traffic(1, 60), a.unclassified());
        assertEquals(1, a.apps().size());
    }
}
