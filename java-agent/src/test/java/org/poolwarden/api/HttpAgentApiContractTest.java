package org.poolwarden.api;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.log.Log;

/** The same contract through the HTTP API: the client on one side of a loopback socket, the fake on the other. */
class HttpAgentApiContractTest extends AgentApiContract {
    @TempDir
    Path dir;
    FakeAgentApi fake;
    ApiServer server;

    @Override
    AgentApi create(PoolwardenConfig config) {
        ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
        fake = ApiFixture.agent(clock);
        try {
            Path tf = dir.resolve("api.token");
            server = ApiServer.start(fake, new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0), tf,
                    ApiServer.DEFAULT_MAX_BODY_BYTES), clock, Log.NONE);
            return new HttpAgentApi(URI.create(server.url()), Files.readString(tf).strip(), Duration.ofSeconds(10));
        } catch (Exception e) {
            throw new AssertionError("server did not start", e);
        }
    }

    @Override
    void nextConfig(String yaml) {
        fake.reloadFrom(() -> ConfigLoader.parse("reload.yaml", yaml));
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }
}
