package org.poolwarden.exchange.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.ExchangeNode;
import org.poolwarden.exchange.wire.KeyRing;

/**
 * An {@link ExchangeNode} on a real UDP socket: Netty epoll when the native transport loads, NIO otherwise, and one
 * event-loop thread that does everything (receive, tick, send), so the node needs no locks. Other threads talk to
 * the node only through {@link #call}.
 */
public final class UdpExchange implements Transport, AutoCloseable {

    public enum Mode { AUTO, EPOLL, NIO }

    /** Receive buffer per datagram: larger than any MTU we allow, so an oversized packet is seen (and counted). */
    static final int RECEIVE_BYTES = 2048;

    private final MultiThreadIoEventLoopGroup group;
    private final DatagramChannel channel;
    private final EventLoop loop;
    private final ExchangeNode node;
    private final String transportName;
    private final long fastTickNanos;
    private ScheduledFuture<?> pendingTick;
    private long pendingTickAt = Long.MAX_VALUE;
    private volatile boolean closed;

    private UdpExchange(ExchangeConfig cfg, long id, InetSocketAddress bind, InetSocketAddress advertise, int poolId, KeyRing keys,
                        ExchangeListener listener, Mode mode) throws InterruptedException {
        boolean epoll = switch (mode) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                yield true;
            }
            case NIO -> false;
            case AUTO -> Epoll.isAvailable();
        };
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.transportName = epoll ? "epoll" : "nio";
        this.group = new MultiThreadIoEventLoopGroup(1, factory);
        this.fastTickNanos = cfg.fastTick().toNanos();
        try {
            Bootstrap b = new Bootstrap()
                    .group(group)
                    .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, 1 << 20) // absorbs a stall of ~1 s of pool traffic
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BYTES))
                    .handler(new Inbound());
            this.channel = (DatagramChannel) b.bind(bind).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        this.loop = channel.eventLoop();
        InetSocketAddress self = advertise != null ? advertise : channel.localAddress();
        this.node = new ExchangeNode(cfg, new ExchangeNode.Identity(id, self, poolId, keys), this,
                System::currentTimeMillis, new Random(), listener, System.nanoTime());
    }

    /**
     * Binds and starts. {@code advertise} is the address peers reach us at (null: the bound one, which must then
     * not be a wildcard). Joins through {@code seeds} (empty: first host of a new pool).
     */
    public static UdpExchange start(ExchangeConfig cfg, long id, InetSocketAddress bind, InetSocketAddress advertise, int poolId,
                                    KeyRing keys, List<InetSocketAddress> seeds, ExchangeListener listener, Mode mode)
            throws InterruptedException {
        UdpExchange x = new UdpExchange(cfg, id, bind, advertise, poolId, keys, listener, mode);
        x.loop.execute(() -> {
            if (!seeds.isEmpty()) {
                x.node.join(seeds, System.nanoTime());
            }
            x.runTick();
        });
        return x;
    }

    /** "epoll" or "nio". */
    public String transportName() {
        return transportName;
    }

    public InetSocketAddress localAddress() {
        return channel.localAddress();
    }

    /** Counters are safe to read from any thread. */
    public ExchangeCounters counters() {
        return node.counters();
    }

    /** Runs {@code f} on the event loop with the node and waits for its result. */
    public <T> T call(Function<ExchangeNode, T> f) throws InterruptedException, ExecutionException, TimeoutException {
        return loop.submit(() -> f.apply(node)).get(5, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------ event loop side

    private void runTick() {
        if (closed) {
            return;
        }
        pendingTick = null;
        pendingTickAt = Long.MAX_VALUE;
        long now = System.nanoTime();
        long next = now + fastTickNanos;
        try {
            next = node.tick(now);
        } catch (RuntimeException e) {
            // one bad tick must not end the tick chain: that would silently stop probing and gossip
            node.counters().increment(ExchangeCounters.Counter.INTERNAL_ERRORS);
        }
        // never sleep longer than a fast tick: a deadline created by a received packet is picked up within one tick
        schedule(Math.min(next, now + fastTickNanos));
    }

    private void schedule(long at) {
        if (at >= pendingTickAt) {
            return;
        }
        if (pendingTick != null) {
            pendingTick.cancel(false);
        }
        pendingTickAt = at;
        pendingTick = loop.schedule(this::runTick, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void send(InetSocketAddress to, byte[] packet) {
        if (closed) {
            return;
        }
        channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(packet), to), channel.voidPromise());
    }

    private final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
            ByteBuf buf = msg.content();
            byte[] bytes = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), bytes);
            node.receive(msg.sender(), bytes, 0, bytes.length, System.nanoTime());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors surface here on a connectionless socket, and so would a bug in receive: count, keep going
            node.counters().increment(cause instanceof java.io.IOException
                    ? ExchangeCounters.Counter.SEND_ERRORS : ExchangeCounters.Counter.INTERNAL_ERRORS);
        }
    }

    /** Closes the socket at once (no leave message): to peers this looks like a crash. */
    @Override
    public void close() {
        closed = true;
        Channel ch = channel;
        try {
            ch.close().syncUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
