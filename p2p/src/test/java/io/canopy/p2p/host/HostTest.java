package io.canopy.p2p.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.identify.IdentifyMessage;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two real hosts on 127.0.0.1: the whole stack, TCP → Noise → Yamux → protocols. */
class HostTest {
  private static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
  private final List<Host> hosts = new ArrayList<>();

  private Host host(HostConfig.Builder config) throws InterruptedException {
    Host h = new Host(config.build()).start();
    hosts.add(h);
    return h;
  }

  private Host host() throws InterruptedException {
    return host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK)));
  }

  private static Multiaddr addrOf(Host h) {
    return h.listenAddrs().get(0).withPeerId(h.peerId());
  }

  @AfterEach
  void close() {
    hosts.forEach(Host::close);
  }

  @Test
  void dialPingAndIdentify() throws Exception {
    Host a = host();
    Host b = host();
    b.registerProtocol(Echo.PROTOCOL, Echo.SERVER);

    Connection c = a.connect(addrOf(b)).get(10, TimeUnit.SECONDS);
    assertThat(c.remotePeer()).isEqualTo(b.peerId());
    assertThat(a.connect(addrOf(b)).get(10, TimeUnit.SECONDS)).as("reused").isSameAs(c);

    List<Duration> rtts = a.ping(c, 3).get(10, TimeUnit.SECONDS);
    assertThat(rtts).hasSize(3).allSatisfy(d -> assertThat(d).isPositive());

    IdentifyMessage id = a.identify(c).get(10, TimeUnit.SECONDS);
    assertThat(id.agentVersion()).isEqualTo(HostConfig.DEFAULT_AGENT_VERSION);
    assertThat(id.protocols()).contains("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", Echo.PROTOCOL);
    assertThat(Multiaddr.fromBytes(id.listenAddrs().get(0))).isEqualTo(b.listenAddrs().get(0));
    assertThat(a.peerStore().get(b.peerId())).hasValueSatisfying(info -> assertThat(info.protocols()).contains(Echo.PROTOCOL));
  }

  @Test
  void concurrentDialsToOnePeerShareOneConnectionAndAPeerIdDialUsesThePeerStore() throws Exception {
    Host a = host();
    Host b = host();
    var first = a.connect(addrOf(b));
    var second = a.connect(addrOf(b)); // e.g. a bootstrap dial and a DHT lookup racing
    assertThat(second.get(10, TimeUnit.SECONDS)).isSameAs(first.get(10, TimeUnit.SECONDS));
    assertThat(a.connections(b.peerId())).hasSize(1);

    Host c = host();
    assertThat(c.connect(b.peerId())).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().withMessageContaining("no known address");
    c.peerStore().addAddrs(b.peerId(), b.listenAddrs());
    assertThat(c.connect(b.peerId()).get(10, TimeUnit.SECONDS).remotePeer()).isEqualTo(b.peerId());
  }

  @Test
  void hundredConcurrentStreamsOverOneConnectionSomeMoving64MiB() throws Exception {
    Host a = host();
    Host b = host();
    b.registerProtocol(Echo.PROTOCOL, Echo.SERVER);
    Connection c = a.connect(addrOf(b)).get(10, TimeUnit.SECONDS);

    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      long size = i < 2 ? 64L << 20 : 64 << 10;
      Echo.Client client = new Echo.Client(size, i);
      results.add(a.newStream(c, List.of(Echo.PROTOCOL), (stream, p, conn) -> stream.pipeline().addLast(client))
          .thenCompose(stream -> client.matches));
    }
    for (CompletableFuture<Boolean> r : results) {
      assertThat(r.get(120, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(a.connections(b.peerId())).hasSize(1);
  }

  @Test
  void aPeerThatIsNotTheOneDialledIsRejected() throws Exception {
    Host a = host();
    Host b = host();
    Host c = host();
    Multiaddr bAtCsId = b.listenAddrs().get(0).withPeerId(c.peerId());
    assertThatThrownBy(() -> a.connect(bAtCsId).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining(c.peerId().toString());
    assertThat(a.connections()).isEmpty();
    assertThat(a.ping(addrOf(b), 1).get(10, TimeUnit.SECONDS)).hasSize(1); // and nothing is broken
  }

  @Test
  void anUnknownProtocolEndsOnlyThatStream() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.connect(addrOf(b)).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> a.newStream(c, List.of("/no/such/1.0.0"), (s, p, conn) -> {}).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    assertThat(a.ping(c, 1).get(10, TimeUnit.SECONDS)).hasSize(1);
  }

  @Test
  void garbageInsteadOfMultistreamIsDroppedAndTheHostServesOthers() throws Exception {
    Host a = host();
    Host b = host();
    var target = b.listenAddrs().get(0).toInetSocketAddress();
    try (Socket raw = new Socket(target.getAddress(), target.getPort())) {
      raw.setSoTimeout(5000);
      OutputStream out = raw.getOutputStream();
      // 'G' reads as a 71-byte multistream message that does not end in a newline: a protocol error.
      out.write(("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: " + "x".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[256];
      int total = 0;
      for (int n; (n = raw.getInputStream().read(buf)) >= 0; ) {
        total += n; // b may send its multistream header before it sees the garbage; then it closes
        assertThat(total).isLessThan(256);
      }
    }
    assertThat(a.ping(addrOf(b), 2).get(10, TimeUnit.SECONDS)).hasSize(2);
  }

  @Test
  void aClientThatNeverFinishesTheUpgradeIsCutOff() throws Exception {
    Host b = host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK))
        .upgradeTimeout(Duration.ofMillis(500)));
    var target = b.listenAddrs().get(0).toInetSocketAddress();
    try (Socket silent = new Socket(target.getAddress(), target.getPort())) {
      silent.setSoTimeout(10_000);
      byte[] buf = new byte[256];
      int n;
      while ((n = silent.getInputStream().read(buf)) >= 0) {
        assertThat(n).isPositive(); // the multistream header, then the close
      }
    }
  }

  @Test
  void connectionsWithoutStreamsAreClosedAfterTheIdleTimeout() throws Exception {
    Host a = host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK))
        .idleTimeout(Duration.ofMillis(300)));
    Host b = host();
    Connection c = a.connect(addrOf(b)).get(10, TimeUnit.SECONDS);
    assertThat(c.channel().closeFuture().await(15, TimeUnit.SECONDS)).as("idle connection closed").isTrue();
    waitUntil(() -> a.connections().isEmpty()); // the close listeners run just after the close itself
    assertThat(a.connections()).isEmpty();
  }

  @Test
  void theTotalConnectionLimitRefusesNewPeers() throws Exception {
    Host b = host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK)).maxConnections(1));
    Host a1 = host();
    Host a2 = host();
    a1.connect(addrOf(b)).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> a2.connect(addrOf(b)).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    assertThat(b.connections()).hasSize(1);
    assertThat(a1.ping(addrOf(b), 1).get(10, TimeUnit.SECONDS)).hasSize(1);
  }

  @Test
  void dialsBeyondThePendingLimitFailAtOnce() throws Exception {
    Host a = host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).maxPendingDials(1)
        .upgradeTimeout(Duration.ofSeconds(5)));
    try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      Multiaddr silent = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + mute.getLocalPort()); // accepts, never answers
      CompletableFuture<Connection> first = a.connect(silent);
      assertThatThrownBy(() -> a.connect(silent).get(1, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("too many dials");
      assertThatThrownBy(() -> first.get(15, TimeUnit.SECONDS)).hasMessageContaining("upgrade took longer");
    }
  }

  @Test
  void identifyPushUpdatesThePeerStore() throws Exception {
    Host a = host();
    Host b = host();
    Connection fromB = b.connect(addrOf(a)).get(10, TimeUnit.SECONDS);
    // Let a's own identify of b (run on every new connection) land first, so it cannot overwrite the push.
    waitUntil(() -> a.peerStore().get(b.peerId()).map(i -> i.agentVersion() != null).orElse(false));
    IdentifyMessage pushed = new IdentifyMessage(HostConfig.PROTOCOL_VERSION, "canopy/pushed", null,
        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4242").toBytes()), null, List.of("/canopy/new/1.0.0"), null);
    b.newStream(fromB, List.of(io.canopy.p2p.identify.Identify.PUSH_PROTOCOL_ID),
        (s, p, c) -> s.pipeline().addLast(new io.canopy.p2p.identify.IdentifySender(() -> pushed))).get(10, TimeUnit.SECONDS);
    waitUntil(() -> a.peerStore().get(b.peerId()).map(i -> "canopy/pushed".equals(i.agentVersion())).orElse(false));
    assertThat(a.peerStore().get(b.peerId())).hasValueSatisfying(info -> {
      assertThat(info.agentVersion()).isEqualTo("canopy/pushed");
      assertThat(info.protocols()).containsExactly("/canopy/new/1.0.0");
      assertThat(info.addrs()).contains(Multiaddr.parse("/ip4/127.0.0.1/tcp/4242"));
    });
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Test
  void perPeerConnectionLimitRefusesExtraConnections() throws Exception {
    Host a = host();
    Host b = host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK)).maxConnectionsPerPeer(1));
    Multiaddr bare = b.listenAddrs().get(0); // without /p2p: no reuse, a second dial
    Connection first = a.connect(bare).get(10, TimeUnit.SECONDS);
    CompletableFuture<Connection> second = a.connect(bare);
    // b upgrades the second connection, sees a second one from the same peer, and closes it.
    Connection extra = second.handle((c, e) -> c).get(10, TimeUnit.SECONDS);
    if (extra != null) {
      assertThat(extra.channel().closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(b.connections(a.peerId())).hasSize(1);
    assertThat(first.isOpen()).isTrue();
    assertThat(a.ping(first, 1).get(10, TimeUnit.SECONDS)).hasSize(1);
  }
}
