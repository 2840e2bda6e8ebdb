package org.poolwarden.nft;

import java.util.List;

/** The contract against the in-memory fake. */
class FakeFlowClassifierTest extends FlowClassifierContract {
    @Override
    void inKernel(Body body) throws Exception {
        FakeFlowClassifier.Kernel kernel = new FakeFlowClassifier.Kernel();
        body.run(new Env() {
            @Override
            public FlowClassifier open() {
                return new FakeFlowClassifier(kernel);
            }

            @Override
            public void outside(List<Op> ops) {
                kernel.run(ops);
            }

            @Override
            public TableState table() {
                return kernel.table();
            }

            @Override
            public void pingLoopback(int n) {
                // The fake has no packets: count what the kernel would (request and reply, 84 bytes each).
                kernel.count("loop", 2L * n, 2L * n * 84);
            }
        });
    }
}
