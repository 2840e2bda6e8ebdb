package org.poolwarden.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.poolwarden.log.Log;

/**
 * The agent's HTTP JSON API on Netty (epoll, NIO where epoll is not available): one I/O thread for the sockets and
 * one thread for the port calls, so a slow history query never stalls the I/O and API changes (a PATCH of a policy)
 * are applied one at a time. Routes and errors: {@link ApiRouter}; endpoints: docs/api.md.
 */
public final class ApiServer implements AutoCloseable {
    /** An unassigned port in IANA's registry; the CLI's default --api points here. */
    public static final int DEFAULT_PORT = 7474;
    /** Loopback: the API can switch the host to enforce, so it is not on the network unless the operator says so. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Policies and mode changes are a few hundred bytes; 64 KiB leaves room and bounds what a client can make us hold. */
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    /** A connection that sends nothing for this long is closed: idle keep-alives and stalled clients hold no socket. */
    public static final int IDLE_TIMEOUT_SECONDS = 60;
    public static final String DEFAULT_URL = "http://" + DEFAULT_HOST + ":" + DEFAULT_PORT;

    /**
     * @param bind        address and port (port 0: any free port, for tests)
     * @param tokenFile   the bearer token's file; created when missing, refused when others can read it
     */
    public record Config(InetSocketAddress bind, Path tokenFile, int maxBodyBytes) {
        public static Config defaults() {
            return new Config(new InetSocketAddress(DEFAULT_HOST, DEFAULT_PORT), TokenFile.DEFAULT,
                    DEFAULT_MAX_BODY_BYTES);
        }
    }

    /**
     * Parses {@code --api-listen}: {@code HOST:PORT} with an IP literal or a name ({@code 127.0.0.1:7474},
     * {@code [::1]:7474}, {@code 0.0.0.0:7474}). Throws IllegalArgumentException with a one-line message.
     */
    public static InetSocketAddress parseListen(String text) {
        String t = text.strip();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\" is not HOST:PORT (example: 127.0.0.1:" + DEFAULT_PORT
                    + ")");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) {
            throw new IllegalArgumentException("\"" + text + "\": write an IPv6 address in brackets, like [::1]:"
                    + DEFAULT_PORT);
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("\"" + text + "\": the port must be a number from 0 to 65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\": unknown host \"" + host + "\"");
        }
    }

    private final MultiThreadIoEventLoopGroup io;
    private final ExecutorService calls;
    private final ChannelGroup connections;
    private final Channel channel;
    private final boolean epoll;
    private final boolean metricsOpen;

    private ApiServer(MultiThreadIoEventLoopGroup io, ExecutorService calls, ChannelGroup connections, Channel channel,
                      boolean epoll, boolean metricsOpen) {
        this.io = io;
        this.calls = calls;
        this.connections = connections;
        this.channel = channel;
        this.epoll = epoll;
        this.metricsOpen = metricsOpen;
    }

    /**
     * Reads (or creates) the token, binds and serves.
     *
     * @throws TokenFile.TokenFileException the token file is unusable (one line naming it); nothing was bound
     * @throws IOException                  the address cannot be bound
     */
    public static ApiServer start(AgentApi api, Config config, Clock clock, Log log)
            throws TokenFile.TokenFileException, IOException {
        return start(api, config, clock, log, true);
    }

    static final String NETTY_JFR = "io.netty.jfr.enabled";

    /** @param allowEpoll false: NIO even where epoll is available (tests of the fallback) */
    static ApiServer start(AgentApi api, Config config, Clock clock, Log log, boolean allowEpoll)
            throws TokenFile.TokenFileException, IOException {
        // Netty registers JFR events for its buffers when the JVM has JFR: a hundred more classes resident in a
        // process that never records. -Dio.netty.jfr.enabled=true brings them back.
        if (System.getProperty(NETTY_JFR) == null) System.setProperty(NETTY_JFR, "false");
        String token = TokenFile.loadOrCreate(config.tokenFile());
        InetAddress addr = config.bind().getAddress();
        // /metrics without the token only where only local users can reach it (docs/api.md, "Authentication").
        boolean metricsOpen = addr != null && addr.isLoopbackAddress();
        ApiRouter router = new ApiRouter(api, token, metricsOpen, clock, log);
        boolean epoll = allowEpoll && Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        MultiThreadIoEventLoopGroup io = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("poolwarden-api-io", true), factory);
        ExecutorService calls = Executors.newSingleThreadExecutor(new DefaultThreadFactory("poolwarden-api", true));
        ChannelGroup connections = new DefaultChannelGroup("poolwarden-api", GlobalEventExecutor.INSTANCE);
        int maxBody = config.maxBodyBytes();
        try {
            Channel ch = new ServerBootstrap().group(io)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            connections.add(c);
                            c.pipeline().addLast(new ReadTimeoutHandler(IDLE_TIMEOUT_SECONDS))
                                    .addLast(new HttpServerCodec(4096, 8192, 8192))
                                    .addLast(new Aggregator(maxBody, router))
                                    .addLast(new Handler(router, calls));
                        }
                    })
                    .bind(config.bind()).syncUninterruptibly().channel();
            ApiServer s = new ApiServer(io, calls, connections, ch, epoll, metricsOpen);
            log.info("api listening", "url", s.url(), "transport", epoll ? "epoll" : "nio", "metrics_auth",
                    metricsOpen ? "none (loopback)" : "token");
            return s;
        } catch (Exception e) {
            // Netty rethrows the bind's IOException undeclared; catch it here to say which address in one line.
            io.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            calls.shutdownNow();
            Throwable t = e instanceof IOException || e.getCause() == null ? e : e.getCause();
            String m = String.valueOf(t.getMessage());
            int errno = m.indexOf("): "); // epoll: "bind(..) failed with error(-98): Address already in use"
            throw new IOException("cannot listen on " + config.bind().getHostString() + ":" + config.bind().getPort()
                    + ": " + (errno >= 0 ? m.substring(errno + 3) : m), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return "http://" + host + ":" + a.getPort();
    }

    public boolean epoll() {
        return epoll;
    }

    public boolean metricsOpen() {
        return metricsOpen;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
        calls.shutdown();
        try {
            calls.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers a too-large body with the API's JSON 413 instead of Netty's empty one. */
    private static final class Aggregator extends HttpObjectAggregator {
        private final ApiRouter router;
        private final int max;

        Aggregator(int max, ApiRouter router) {
            super(max);
            this.router = router;
            this.max = max;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ApiRouter.Response r = router.reject(ApiError.of(413, "payload_too_large", "body",
                    "larger than " + max + " bytes"));
            // The rest of the body may still be on its way: answer, then close rather than read it.
            ctx.writeAndFlush(response(r, false)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Decodes on the I/O thread, calls the port on the API thread, writes back through the channel. */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ApiRouter router;
        private final ExecutorService calls;

        Handler(ApiRouter router, ExecutorService calls) {
            this.router = router;
            this.calls = calls;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.decoderResult().isFailure()) {
                ApiRouter.Response r = router.reject(ApiError.of(400, "bad_request", "", "malformed HTTP request: "
                        + req.decoderResult().cause().getMessage()));
                ctx.writeAndFlush(response(r, false)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            byte[] body = new byte[req.content().readableBytes()];
            req.content().readBytes(body);
            ApiRouter.Request request = new ApiRouter.Request(req.method().name(), req.uri(),
                    req.headers().get(HttpHeaderNames.AUTHORIZATION), body);
            try {
                // One API thread: requests (also pipelined ones on one connection) are answered in order.
                calls.execute(() -> {
                    ApiRouter.Response r = router.handle(request);
                    var f = ctx.writeAndFlush(response(r, keepAlive));
                    if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
                });
            } catch (RejectedExecutionException e) {
                ctx.close(); // the server is closing
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset connection or a broken client: nothing to answer, and not worth a log line per client.
            ctx.close();
        }
    }

    static FullHttpResponse response(ApiRouter.Response r, boolean keepAlive) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        resp.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        for (Map.Entry<String, String> h : r.headers().entrySet()) resp.headers().set(h.getKey(), h.getValue());
        resp.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        return resp;
    }
}
