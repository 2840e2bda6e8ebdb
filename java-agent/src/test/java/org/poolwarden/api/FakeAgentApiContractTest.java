package org.poolwarden.api;

import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;

/** The contract against the in-memory fake. */
class FakeAgentApiContractTest extends AgentApiContract {
    FakeAgentApi fake;

    @Override
    AgentApi create(PoolwardenConfig config) {
        fake = ApiFixture.agent(new ApiFixture.ManualClock(ApiFixture.START));
        return fake;
    }

    @Override
    void nextConfig(String yaml) {
        fake.reloadFrom(() -> ConfigLoader.parse("reload.yaml", yaml));
    }
}
