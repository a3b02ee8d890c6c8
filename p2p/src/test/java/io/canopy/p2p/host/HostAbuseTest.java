package io.canopy.p2p.host;

import io.canopy.p2p.HonestLatency;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.identify.Identify;
import io.canopy.p2p.multistream.MultistreamMessage;
import io.canopy.p2p.noise.NoiseSecureChannel;
import io.canopy.p2p.yamux.YamuxConfig;
import io.canopy.p2p.yamux.YamuxFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A misbehaving peer floods a real host over 127.0.0.1: half-open handshakes, connections from
 * fresh identities past the connection limit, thousands of Yamux streams, and frames far larger
 * than any limit (Yamux Data past the window, a 65535-byte Noise frame of garbage, a varint frame
 * declaring gigabytes). The host refuses each (close, RST or Go Away), stays up, and an honest
 * peer's pings keep succeeding; its latency before and during the attack is printed.
 *
 * <p>Half-open attackers bind 127.0.0.2, so that the per-address handshake limit tells them from
 * the honest peer on 127.0.0.1.
 */
@Timeout(120)
class HostAbuseTest {
  private static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
  /** A liveness bound for one honest operation, not a speed target. */
  private static final long HONEST_DEADLINE_SECONDS = 10;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final List<Host> hosts = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ExecutorService attackers = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws InterruptedException {
    attackers.shutdownNow();
    attackers.awaitTermination(10, TimeUnit.SECONDS);
    hosts.forEach(Host::close);
  }

  private Host host(java.util.function.UnaryOperator<HostConfig.Builder> tune) throws InterruptedException {
    Host h = new Host(tune.apply(HostConfig.builder(Ed25519PrivateKey.generate(RANDOM)).listen(List.of(LOOPBACK)).ioThreads(1))
        .build()).start();
    hosts.add(h);
    return h;
  }

  private static Multiaddr addrOf(Host h) {
    return h.listenAddrs().get(0).withPeerId(h.peerId());
  }

  // ---- connection floods ----------------------------------------------------------------------

  @Test
  void halfOpenHandshakesFromOneAddressCannotLockOthersOut() throws Exception {
    int perIp = 16;
    Host node = host(b -> b.maxConnections(100).maxInboundUpgradesPerIp(perIp).upgradeTimeout(Duration.ofSeconds(3)));
    Host honest = host(b -> b);
    InetSocketAddress target = node.listenAddrs().get(0).toInetSocketAddress();
    int flood = 300;
    // The honest peer reconnects for every ping: new connections must still get in.
    Figures f = underAttack("half-open handshakes: " + flood + " TCP connections from 127.0.0.2 stopping mid-multistream",
        () -> {
          honest.connections(node.peerId()).forEach(c -> c.channel().close().syncUninterruptibly());
          return honest.ping(addrOf(node), 1).get(HONEST_DEADLINE_SECONDS, TimeUnit.SECONDS);
        },
        stop -> {
          List<Socket> sockets = new ArrayList<>();
          try {
            for (int i = 0; i < flood; i++) {
              Socket s = new Socket();
              s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
              s.connect(target);
              try {
                // The header only: never a proposal, so the upgrade never finishes.
                s.getOutputStream().write(multistreamMessage(MultistreamMessage.PROTOCOL_ID));
              } catch (SocketException refused) {
                // already closed by the node: counted below
              }
              sockets.add(s);
            }
            int refusedAtOnce = 0;
            for (Socket s : sockets) {
              if (closedWithin(s, 500)) {
                refusedAtOnce++;
              }
            }
            // The rest held a handshake slot until the upgrade timeout.
            int closedLater = 0;
            for (Socket s : sockets) {
              if (closedWithin(s, 10_000)) {
                closedLater++;
              }
            }
            return new int[] {refusedAtOnce, closedLater};
          } finally {
            for (Socket s : sockets) {
              s.close();
            }
          }
        });
    int[] closed = (int[]) f.attackResult;
    System.out.printf(Locale.ROOT, "[HostAbuseTest] half-open: %d of %d refused at once, %d closed in the end%n", closed[0], flood, closed[1]);
    // Exactly perIp would hold a slot if all 300 arrived within one upgrade timeout; on a slow
    // machine early ones time out and free their slot for later ones, hence the margin.
    assertThat(closed[0]).as("half-open connections refused at once").isGreaterThanOrEqualTo(flood - 4 * perIp);
    assertThat(closed[1]).as("half-open connections closed by the node in the end").isEqualTo(flood);
    assertThat(node.connections()).extracting(Connection::remotePeer).containsOnly(honest.peerId());
  }

  @Test
  void freshIdentitiesBeyondTheConnectionLimitAreRefused() throws Exception {
    int limit = 24;
    Host node = host(b -> b.maxConnections(limit));
    Host honest = host(b -> b);
    Connection honestConnection = honest.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
    int flood = 48;
    Figures f = underAttack("connection flood: " + flood + " fresh identities against a limit of " + limit,
        () -> honest.ping(honestConnection, 1).get(HONEST_DEADLINE_SECONDS, TimeUnit.SECONDS),
        stop -> {
          List<CompletableFuture<Connection>> dials = new ArrayList<>();
          for (int i = 0; i < flood; i++) {
            dials.add(host(b -> b.listen(List.of())).connect(addrOf(node)));
          }
          int admitted = 0;
          int refused = 0;
          for (CompletableFuture<Connection> d : dials) {
            try {
              Connection c = d.get(20, TimeUnit.SECONDS);
              // Admitted for now; the node may still close it (it checks the limit at accept).
              if (c.isOpen()) {
                admitted++;
              }
            } catch (java.util.concurrent.ExecutionException e) {
              refused++;
            }
          }
          return new int[] {admitted, refused};
        });
    int[] outcome = (int[]) f.attackResult;
    System.out.printf(Locale.ROOT, "[HostAbuseTest] connection flood: %d admitted, %d refused%n", outcome[0], outcome[1]);
    assertThat(outcome[0]).as("attackers admitted").isLessThanOrEqualTo(limit - 1);
    assertThat(outcome[1]).as("attackers refused").isGreaterThanOrEqualTo(flood - (limit - 1));
    assertThat(node.connections().size()).isLessThanOrEqualTo(limit);
    assertThat(honestConnection.isOpen()).isTrue();
  }

  // ---- stream floods and huge frames ------------------------------------------------------------

  @Test
  void aStreamFloodIsResetPastTheStreamLimit() throws Exception {
    int maxStreams = 64;
    Host node = host(b -> b.yamux(YamuxConfig.builder().maxStreams(maxStreams).build()));
    Host honest = host(b -> b);
    Host attacker = host(b -> b.listen(List.of()).yamux(YamuxConfig.builder().maxStreams(10_000).maxAckBacklog(10_000).build()));
    Connection honestConnection = honest.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
    Connection attack = attacker.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
    int flood = 600; // ten times the limit
    Figures f = underAttack("stream flood: " + flood + " Yamux streams never read, limit " + maxStreams,
        () -> honest.ping(honestConnection, 1).get(HONEST_DEADLINE_SECONDS, TimeUnit.SECONDS),
        stop -> {
          AtomicInteger reset = new AtomicInteger();
          List<io.netty.util.concurrent.Future<Channel>> opens = new ArrayList<>();
          for (int i = 0; i < flood; i++) {
            opens.add(attack.muxer().openStream(new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel stream) {
                stream.config().setAutoRead(false); // never reads what the node answers
                stream.closeFuture().addListener(x -> reset.incrementAndGet());
              }
            }));
          }
          for (io.netty.util.concurrent.Future<Channel> o : opens) {
            o.await(10, TimeUnit.SECONDS);
          }
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (reset.get() < flood - maxStreams && System.nanoTime() < until) {
            Thread.sleep(50);
          }
          return reset.get();
        });
    assertThat((Integer) f.attackResult).as("attacker streams reset by the node").isGreaterThanOrEqualTo(flood - maxStreams);
    assertThat(node.connections(attacker.peerId()).get(0).openStreams()).isLessThanOrEqualTo(maxStreams);
    assertThat(attack.isOpen()).as("a stream flood costs the attacker its streams, not the node").isTrue();
  }

  @Test
  void streamsThatNeverNegotiateAProtocolAreClosedAtTheDeadline() throws Exception {
    Host node = host(b -> b.upgradeTimeout(java.time.Duration.ofSeconds(3)));
    Host attacker = host(b -> b.listen(List.of()));
    Connection attack = attacker.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
    int silent = 20; // within the stream limit: each would hold a slot for the connection's life
    byte[] header = "\u0013/multistream/1.0.0\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int i = 0; i < silent; i++) {
      io.netty.util.concurrent.Future<Channel> opened = attack.muxer().openStream(new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel stream) {
          stream.config().setAutoRead(false); // never reads the node's answer
        }
      }).await();
      // the header, then never a protocol: the node waits for a proposal
      opened.getNow().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(header)).await();
    }
    Connection seen = node.connections(attacker.peerId()).get(0);
    int most = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while ((most < silent || seen.openStreams() > 0) && System.nanoTime() < until) {
      most = Math.max(most, seen.openStreams());
      Thread.sleep(10);
    }
    assertThat(most).as("silent streams the node had open at once").isGreaterThanOrEqualTo(silent);
    assertThat(seen.openStreams()).as("streams still open on the node after the deadline").isZero();
    assertThat(attack.isOpen()).as("the connection itself stays").isTrue();
  }

  @Test
  void hugeFramesCloseTheAttackersConnectionOnly() throws Exception {
    Host node = host(b -> b);
    Host honest = host(b -> b);
    Connection honestConnection = honest.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
    InetSocketAddress target = node.listenAddrs().get(0).toInetSocketAddress();
    Figures f = underAttack("huge frames: Yamux Data of 2 GiB, 65535-byte Noise garbage, varint frames of 4 GiB, 8 rounds each",
        () -> honest.ping(honestConnection, 1).get(HONEST_DEADLINE_SECONDS, TimeUnit.SECONDS),
        stop -> {
          List<String> outcomes = new ArrayList<>();
          for (int round = 0; round < 8 && !stop.get(); round++) {
            Host attacker = host(b -> b.listen(List.of()));
            // Yamux: a Data frame announcing 2^31 - 1 bytes, far past the 256 KiB window.
            Connection c = attacker.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
            ByteBuf frame = Unpooled.buffer(YamuxFrame.HEADER_LENGTH + 16)
                .writeByte(YamuxFrame.VERSION).writeByte(0).writeShort(YamuxFrame.FLAG_SYN)
                .writeInt(1_000_001).writeInt(Integer.MAX_VALUE).writeZero(16);
            c.channel().pipeline().context("yamux").writeAndFlush(frame);
            outcomes.add("yamux " + (c.channel().closeFuture().await(10, TimeUnit.SECONDS) ? "closed" : "open"));

            // Noise: after the handshake, a transport frame of 65535 random bytes, under the encryption.
            Connection n = attacker.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
            byte[] garbage = new byte[65535];
            RANDOM.nextBytes(garbage);
            n.channel().pipeline().firstContext().writeAndFlush(Unpooled.buffer(2 + garbage.length)
                .writeShort(garbage.length).writeBytes(garbage));
            outcomes.add("noise " + (n.channel().closeFuture().await(10, TimeUnit.SECONDS) ? "closed" : "open"));

            // Noise handshake messages of 65535 garbage bytes on a raw socket.
            outcomes.add("noise-handshake " + rawNoiseGarbage(target));

            // A varint frame declaring 4 GiB on an identify push stream: the stream is refused, the connection stays.
            Connection v = attacker.connect(addrOf(node)).get(10, TimeUnit.SECONDS);
            CompletableFuture<String> ended = new CompletableFuture<>();
            Channel stream = attacker.newStream(v, List.of(Identify.PUSH_PROTOCOL_ID),
                (s, p, conn) -> s.pipeline().addLast(new StreamEnd(ended))).get(10, TimeUnit.SECONDS);
            stream.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10}));
            outcomes.add("varint " + ended.get(10, TimeUnit.SECONDS) + (v.isOpen() ? " connection-open" : " connection-closed"));
            attacker.close();
          }
          return outcomes;
        });
    @SuppressWarnings("unchecked")
    List<String> outcomes = (List<String>) f.attackResult;
    assertThat(outcomes).hasSize(32).allSatisfy(o -> assertThat(o).isIn(
        "yamux closed", "noise closed", "noise-handshake closed", "varint closed connection-open"));
    assertThat(node.connections()).extracting(Connection::remotePeer).containsOnly(honest.peerId());
  }

  /**
   * Negotiates /noise on a raw socket, then sends Noise handshake frames of 65535 random bytes
   * until the node closes: "closed", or what went wrong.
   */
  private static String rawNoiseGarbage(InetSocketAddress target) throws IOException {
    try (Socket s = new Socket(target.getAddress(), target.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(multistreamMessage(MultistreamMessage.PROTOCOL_ID));
      s.getOutputStream().write(multistreamMessage(NoiseSecureChannel.PROTOCOL_ID));
      byte[] garbage = new byte[65535];
      try {
        for (int i = 0; i < 3; i++) { // message 1 (e) is any 32 bytes; message 3 cannot decrypt
          RANDOM.nextBytes(garbage);
          s.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF});
          s.getOutputStream().write(garbage);
          s.getOutputStream().flush();
        }
      } catch (SocketException closedWhileSending) {
        return "closed";
      }
      return closedWithin(s, 10_000) ? "closed" : "open";
    }
  }

  /** Completes with "closed" when the node ends the stream: its FIN (half-close) or a reset. */
  private static final class StreamEnd extends io.netty.channel.ChannelInboundHandlerAdapter {
    private final CompletableFuture<String> ended;

    StreamEnd(CompletableFuture<String> ended) {
      this.ended = ended;
    }

    @Override
    public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
        ended.complete("closed");
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) {
      ended.complete("closed");
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
      ended.complete("closed");
    }
  }

  // ---- the honest peer and the figures ---------------------------------------------------------

  private record Figures(Object attackResult, long[] before, long[] during) {}

  private interface Attack {
    Object run(AtomicBoolean stop) throws Exception;
  }

  /**
   * Runs {@code honest} for a second, then again while {@code attack} runs (at least 20 times);
   * every honest operation must succeed. Prints p50/p99 before and during.
   */
  private Figures underAttack(String name, Callable<?> honest, Attack attack) throws Exception {
    long[] before = HonestLatency.measure(honest, 20, () -> false, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
    AtomicBoolean stop = new AtomicBoolean();
    Future<Object> running = attackers.submit((Callable<Object>) () -> attack.run(stop));
    long[] during;
    try {
      during = HonestLatency.measure(honest, 20, running::isDone, System.nanoTime() + TimeUnit.SECONDS.toNanos(40));
    } finally {
      stop.set(true);
    }
    Object result = running.get(60, TimeUnit.SECONDS);
    System.out.println("[HostAbuseTest] " + name + ": honest ping " + HonestLatency.compare(before, during));
    return new Figures(result, before, during);
  }




  // ---- raw bytes -------------------------------------------------------------------------------

  /** A multistream-select message: uvarint length, the text, a newline. */
  private static byte[] multistreamMessage(String text) {
    byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(body.length); // every message here is shorter than 128 bytes
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** Whether the node closed {@code s} within {@code millis} (anything it sent first is skipped). */
  private static boolean closedWithin(Socket s, int millis) throws IOException {
    s.setSoTimeout(millis);
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      while (in.read(buf) >= 0) {
        // the node's own handshake bytes
      }
      return true;
    } catch (SocketException reset) {
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    }
  }
}
