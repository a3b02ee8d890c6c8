package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Echo;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.identify.IdentifyMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Canopy's libp2p stack against js-libp2p (TCP, Noise, Yamux, identify, ping), both directions:
 * a Canopy host dials the JS node, and the JS node dials a Canopy host.
 */
@Tag("interop")
class Libp2pInteropTest {
  private Host host;
  private JsLibp2pPeer js;

  @BeforeEach
  void start() throws Exception {
    host = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    host.registerProtocol(Echo.PROTOCOL, Echo.SERVER);
    js = JsLibp2pPeer.start();
  }

  @AfterEach
  void stop() {
    if (js != null) {
      js.close();
    }
    if (host != null) {
      host.close();
    }
  }

  @Test
  void canopyDialsJsPingsIdentifiesAndRunsConcurrentStreams() throws Exception {
    Multiaddr jsAddr = Multiaddr.parse(js.addr());
    Connection c = host.connect(jsAddr).get(20, TimeUnit.SECONDS);
    assertThat(c.remotePeer().toString()).isEqualTo(js.peerId());

    List<Duration> rtts = host.ping(c, 3).get(20, TimeUnit.SECONDS);
    assertThat(rtts).hasSize(3);

    IdentifyMessage id = host.identify(c).get(20, TimeUnit.SECONDS);
    assertThat(id.agentVersion()).startsWith("js-libp2p");
    assertThat(id.protocols()).contains(JsLibp2pPeer.IDENTIFY_PROTOCOL, JsLibp2pPeer.PING_PROTOCOL, JsLibp2pPeer.ECHO_PROTOCOL);
    assertThat(id.listenAddrs()).extracting(Multiaddr::fromBytes).contains(jsAddr.withoutPeerId());

    List<CompletableFuture<Boolean>> echoes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Echo.Client client = new Echo.Client(300_000 + i, i);
      echoes.add(host.newStream(c, List.of(JsLibp2pPeer.ECHO_PROTOCOL), (s, p, conn) -> s.pipeline().addLast(client))
          .thenCompose(s -> client.matches));
    }
    for (CompletableFuture<Boolean> e : echoes) {
      assertThat(e.get(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(host.connections(c.remotePeer())).hasSize(1);
  }

  @Test
  void jsDialsCanopyPingsIdentifiesAndEchoes() {
    String canopyAddr = host.listenAddrs().get(0).withPeerId(host.peerId()).toString();
    JsonNode dial = js.dial(canopyAddr);
    assertThat(dial.get("peerId").asText()).isEqualTo(host.peerId().toString());
    assertThat(dial.get("agentVersion").asText()).startsWith("canopy/");
    List<String> protocols = new ArrayList<>();
    dial.get("protocols").forEach(p -> protocols.add(p.asText()));
    assertThat(protocols).contains("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", Echo.PROTOCOL);

    JsonNode ping = js.ping(canopyAddr, 3);
    assertThat(ping.get("rttMs")).hasSize(3);

    JsonNode echo = js.echo(canopyAddr, 4, 1 << 20);
    assertThat(echo.get("ok").asBoolean()).isTrue();
  }
}
