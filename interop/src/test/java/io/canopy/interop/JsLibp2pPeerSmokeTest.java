package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checks the JS side of the libp2p interop tests on its own: two js-libp2p peers driven through
 * {@link JsLibp2pPeer} connect, identify, ping and echo over TCP + Noise + Yamux. Once Canopy's
 * Java host exists, the same commands run against it instead of peer B.
 *
 * <p>Also pins the peer-ID derivation: a JS peer started with a known seed must have the peer ID
 * Canopy derives from that seed.
 */
@Tag("interop")
@Timeout(60)
class JsLibp2pPeerSmokeTest {
  private static final int MIB = 1024 * 1024;

  /** 00 01 02 ... 1f. */
  private static byte[] seed() {
    byte[] seed = new byte[32];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = (byte) i;
    }
    return seed;
  }

  @Test
  void twoJsPeersDialPingAndEcho() {
    byte[] seed = seed();
    PeerId expectedB = Ed25519PrivateKey.fromSeed(seed).peerId();
    JsLibp2pPeer a = JsLibp2pPeer.start();
    try (JsLibp2pPeer b = JsLibp2pPeer.startWithSeed(seed)) {
      // js-libp2p derives from the seed the peer ID Canopy derives.
      assertThat(b.peerId()).isEqualTo(expectedB.toString());
      assertThat(PeerId.parse(b.peerId())).isEqualTo(expectedB);
      assertThat(PeerId.parse(a.peerId()).ed25519PublicKey()).as("A's peer ID inlines an Ed25519 key").isPresent();
      assertThat(a.peerId()).isNotEqualTo(b.peerId());

      for (JsLibp2pPeer p : List.of(a, b)) {
        assertThat(p.addrs()).isNotEmpty().allSatisfy(addr -> assertThat(addr)
            .startsWith("/ip4/127.0.0.1/tcp/")
            .endsWith("/p2p/" + p.peerId()));
        assertThat(p.protocols())
            .contains(JsLibp2pPeer.IDENTIFY_PROTOCOL, JsLibp2pPeer.PING_PROTOCOL, JsLibp2pPeer.ECHO_PROTOCOL);
      }

      JsonNode dial = a.commandOk(Map.of("cmd", "dial", "addr", b.addr()));
      assertThat(dial.get("peerId").asText()).isEqualTo(b.peerId());
      assertThat(texts(dial.get("protocols")))
          .contains(JsLibp2pPeer.IDENTIFY_PROTOCOL, JsLibp2pPeer.PING_PROTOCOL, JsLibp2pPeer.ECHO_PROTOCOL);
      assertThat(dial.get("agentVersion").asText()).startsWith("js-libp2p/");
      assertThat(texts(dial.get("listenAddrs"))).isNotEmpty();
      assertThat(a.peers()).contains(b.peerId());
      assertThat(b.peers()).contains(a.peerId());

      JsonNode ping = a.commandOk(Map.of("cmd", "ping", "addr", b.addr(), "count", 3));
      assertThat(ping.get("rttMs")).hasSize(3);
      ping.get("rttMs").forEach(rtt -> assertThat(rtt.asDouble()).isBetween(0.0, 10_000.0));

      JsonNode echo = a.commandOk(Map.of("cmd", "echo", "addr", b.addr(), "streams", 4, "bytes", MIB));
      assertThat(echo.get("streams").asInt()).isEqualTo(4);
      assertThat(echo.get("bytes").asInt()).isEqualTo(MIB);
      assertThat(echo.get("ms").asDouble()).isPositive();

      // Failures come back as answers, and the peer keeps serving.
      JsonNode unknown = a.command(Map.of("cmd", "no-such-command"));
      assertThat(unknown.get("ok").asBoolean()).isFalse();
      assertThat(unknown.get("error").asText()).contains("no-such-command");
      JsonNode refused = a.command(Map.of("cmd", "dial", "addr", "/ip4/127.0.0.1/tcp/1", "timeoutMs", 5000));
      assertThat(refused.get("ok").asBoolean()).isFalse();
      assertThat(refused.get("error").asText()).isNotBlank();
      assertThat(a.ping(b.addr(), 1).get("ok").asBoolean()).isTrue();

      a.close(); // stop: the child exits
      assertThat(a.isAlive()).isFalse();
      assertThat(b.isAlive()).isTrue();
      b.peers(); // B still answers after A left
    } finally {
      a.close(); // idempotent
    }
  }

  @Test
  void aPeerThatCannotStartReportsNodesStderr() {
    assertThatThrownBy(() -> JsLibp2pPeer.start("--no-such-option"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exit status 1")
        .hasMessageContaining("unknown argument --no-such-option");
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
