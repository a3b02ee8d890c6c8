package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.kad.KadConfig;
import io.canopy.p2p.kad.KadDht;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Canopy's Kademlia DHT against js-libp2p's @libp2p/kad-dht (server mode), both ways: provider
 * records placed by one are found by the other, and a Canopy lookup goes through the JS node.
 */
@Tag("interop")
class KadDhtInteropTest {
  private final List<Host> hosts = new ArrayList<>();
  private final List<KadDht> dhts = new ArrayList<>();
  private JsLibp2pPeer js;
  private Multiaddr jsAddr;

  @BeforeEach
  void start() {
    js = JsLibp2pPeer.start(JsLibp2pPeer.KAD_DHT_FLAG);
    assertThat(js.protocols()).contains(KadDht.PROTOCOL_ID);
    jsAddr = Multiaddr.parse(js.addr());
  }

  @AfterEach
  void stop() {
    dhts.forEach(KadDht::close);
    hosts.forEach(Host::close);
    if (js != null) {
      js.close();
    }
  }

  private KadDht canopyNode() throws InterruptedException {
    Host host = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    hosts.add(host);
    KadDht dht = new KadDht(host, KadConfig.DEFAULT).start();
    dhts.add(dht);
    return dht;
  }

  private static Cid cid(String text) {
    return Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, text.getBytes(StandardCharsets.UTF_8));
  }

  /** js-libp2p adds a peer to its table only after identify and a ping: wait for that. */
  private void awaitInJsTable(PeerId peer) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!js.kadRoutingTable().contains(peer.toString())) {
      assertThat(System.nanoTime()).as("%s in the JS routing table in time", peer).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void jsProvidesAndCanopyFindsTheProviderAndItsAddress() throws Exception {
    KadDht a = canopyNode();
    a.bootstrap(List.of(jsAddr)).get(30, TimeUnit.SECONDS);
    assertThat(a.routingTable().contains(PeerId.parse(js.peerId()))).isTrue();
    awaitInJsTable(hosts.get(0).peerId());

    Cid cid = cid("provided by js");
    js.kadProvide(cid.toString());

    // a second Canopy node that knows only the first one
    KadDht b = canopyNode();
    b.bootstrap(List.of(hosts.get(0).listenAddrs().get(0).withPeerId(hosts.get(0).peerId()))).get(30, TimeUnit.SECONDS);
    List<PeerId> providers = b.findProviders(cid.multihash(), 1).get(30, TimeUnit.SECONDS);
    assertThat(providers).containsExactly(PeerId.parse(js.peerId()));
    assertThat(hosts.get(1).peerStore().get(providers.get(0)))
        .hasValueSatisfying(info -> assertThat(info.addrs()).contains(jsAddr.withoutPeerId()));
    assertThat(a.findProviders(cid.multihash(), 1).get(30, TimeUnit.SECONDS)).containsExactly(PeerId.parse(js.peerId()));
  }

  @Test
  void canopyProvidesAndJsFindsTheProviderAndItsAddress() throws Exception {
    KadDht a = canopyNode();
    a.bootstrap(List.of(jsAddr)).get(30, TimeUnit.SECONDS);
    awaitInJsTable(hosts.get(0).peerId());

    Cid cid = cid("provided by canopy");
    a.provide(cid.multihash()).get(30, TimeUnit.SECONDS);

    // js stores the provider, then its addresses (two steps in its ADD_PROVIDER handler, and we do
    // not wait for it to handle the message): ask until the answer has both
    JsonNode providers = js.kadFindProviders(cid.toString(), 1);
    for (int i = 0; i < 50 && providers.path(0).path("addrs").isEmpty(); i++) {
      Thread.sleep(100);
      providers = js.kadFindProviders(cid.toString(), 1);
    }
    assertThat(providers).hasSize(1);
    assertThat(providers.get(0).get("id").asText()).isEqualTo(hosts.get(0).peerId().toString());
    List<String> addrs = new ArrayList<>();
    providers.get(0).get("addrs").forEach(n -> addrs.add(n.asText()));
    assertThat(addrs).anySatisfy(s -> assertThat(s).startsWith(hosts.get(0).listenAddrs().get(0).toString()));

    // the CIDv0 of the same multihash is the same provider key
    JsonNode v0 = js.kadFindProviders(Cid.v0(cid.multihash()).toString(), 1);
    assertThat(v0.get(0).get("id").asText()).isEqualTo(hosts.get(0).peerId().toString());
  }

  @Test
  void canopyFindsAPeerThroughJsItHasNeverMet() throws Exception {
    KadDht a = canopyNode();
    KadDht b = canopyNode();
    PeerId bId = hosts.get(1).peerId();
    // b joins through js; a only connects to js (no lookup yet), so js is all a knows
    b.bootstrap(List.of(jsAddr)).get(30, TimeUnit.SECONDS);
    awaitInJsTable(bId);
    hosts.get(0).connect(jsAddr).get(20, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!a.routingTable().contains(PeerId.parse(js.peerId()))) { // joins once identify lists the protocol
      assertThat(System.nanoTime()).as("js in a's routing table in time").isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(a.routingTable().peers()).containsExactly(PeerId.parse(js.peerId()));
    assertThat(hosts.get(0).connections(bId)).isEmpty();

    Optional<List<Multiaddr>> found = a.findPeer(bId).get(30, TimeUnit.SECONDS);
    assertThat(found).hasValueSatisfying(addrs -> assertThat(addrs).contains(hosts.get(1).listenAddrs().get(0)));
    assertThat(a.lastLookupStats().answered()).isPositive();

    // and js finds a Canopy peer through its table
    JsonNode peer = js.kadFindPeer(hosts.get(0).peerId().toString());
    assertThat(peer.get("id").asText()).isEqualTo(hosts.get(0).peerId().toString());
  }
}
