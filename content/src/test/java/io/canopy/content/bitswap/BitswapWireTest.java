package io.canopy.content.bitswap;

import static io.canopy.content.bitswap.BitswapNodes.await;
import static io.canopy.content.bitswap.BitswapNodes.connect;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.bitswap.BitswapMessage.BlockPresence;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.Payload;
import io.canopy.content.bitswap.BitswapMessage.PresenceType;
import io.canopy.content.importer.ImportOptions;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bitswap against hand-driven peers over real streams: the wire behaviour of each version. */
class BitswapWireTest {
  private final BitswapNodes nodes = new BitswapNodes();
  private final SplittableRandom random = new SplittableRandom(7);

  @AfterEach
  void close() throws Exception {
    nodes.close();
  }

  private RawPeer raw(String... protocols) throws Exception {
    return new RawPeer(nodes.host(), List.of(protocols));
  }

  private Block block(int size) {
    return BitswapMessageTest.rawBlock(random, size);
  }

  @Test
  void haveDontHaveAndWantBlockOver120() throws Exception {
    BitswapNodes.Node a = nodes.node();
    Block have = block(100);
    Block wanted = block(5000);
    Cid missing = block(10).cid();
    a.store().put(have);
    a.store().put(wanted);
    RawPeer peer = raw(Bitswap.PROTOCOL_1_2_0);
    peer.send(a.host(), Bitswap.PROTOCOL_1_2_0, BitswapMessage.wants(List.of(
        Entry.wantHave(have.cid(), 1, true), Entry.wantHave(missing, 1, true), Entry.wantBlock(wanted.cid(), 1, true))));

    List<BlockPresence> presences = new ArrayList<>();
    List<Payload> blocks = new ArrayList<>();
    while (presences.size() < 2 || blocks.isEmpty()) { // the answer may come in one message or several
      BitswapMessage m = peer.pollAnswer();
      assertThat(m).as("answer").isNotNull();
      presences.addAll(m.presences());
      blocks.addAll(m.blocks());
    }
    assertThat(presences).containsExactlyInAnyOrder(new BlockPresence(have.cid(), PresenceType.HAVE),
        new BlockPresence(missing, PresenceType.DONT_HAVE));
    assertThat(blocks).hasSize(1);
    assertThat(blocks.get(0).cid()).isEqualTo(wanted.cid());
    assertThat(blocks.get(0).data()).isEqualTo(wanted.data());
  }

  @Test
  void waitingWantsAreServedWhenTheBlockArrivesUnlessCancelled() throws Exception {
    BitswapNodes.Node a = nodes.node();
    BitswapNodes.Node source = nodes.node();
    Block cancelled = block(300);
    Block later = block(400);
    source.store().put(cancelled);
    source.store().put(later);
    connect(a.host(), source.host());
    RawPeer peer = raw(Bitswap.PROTOCOL_1_2_0);
    peer.send(a.host(), Bitswap.PROTOCOL_1_2_0, BitswapMessage.wants(List.of(
        Entry.wantBlock(cancelled.cid(), 1, false), Entry.wantBlock(later.cid(), 1, false))));
    await("wants recorded", () -> a.bitswap().engine().wantlistSize(peer.host.peerId()) == 2);
    peer.send(a.host(), Bitswap.PROTOCOL_1_2_0, BitswapMessage.wants(List.of(Entry.cancel(cancelled.cid()))));
    await("cancel applied", () -> a.bitswap().engine().wantlistSize(peer.host.peerId()) == 1);

    a.bitswap().get(cancelled.cid()).get(10, TimeUnit.SECONDS);
    a.bitswap().get(later.cid()).get(10, TimeUnit.SECONDS);

    BitswapMessage m = peer.pollAnswer();
    assertThat(m.blocks()).extracting(Payload::cid).containsExactly(later.cid());
    assertThat(peer.received.stream().filter(x -> !x.blocks().isEmpty()).toList()).as("nothing for the cancelled want").isEmpty();
  }

  @Test
  void aFetchAsksWithWantHaveThenWantBlockAndCancelsAtTheOthers() throws Exception {
    BitswapNodes.Node a = nodes.node();
    Block b = block(2000);
    // Two hand-driven peers: one has the block and answers as the spec says, one only says HAVE late.
    RawPeer holder = raw(Bitswap.PROTOCOL_1_2_0).onMessage((p, m) -> {
      for (Entry e : m.wantlist()) {
        if (e.cancel()) {
          continue;
        }
        BitswapMessage reply = e.wantType() == BitswapMessage.WantType.HAVE
            ? new BitswapMessage(List.of(), false, List.of(), List.of(new BlockPresence(e.cid(), PresenceType.HAVE)), 0)
            : new BitswapMessage(List.of(), false, List.of(Payload.of(b)), List.of(), 0);
        send(p, a, reply);
      }
    });
    RawPeer bystander = raw(Bitswap.PROTOCOL_1_2_0);
    connect(a.host(), holder.host);
    connect(a.host(), bystander.host);

    assertThat(a.bitswap().get(b.cid()).get(10, TimeUnit.SECONDS).data()).isEqualTo(b.data());

    Entry first = holder.pollWants().wantlist().get(0);
    assertThat(first.wantType()).isEqualTo(BitswapMessage.WantType.HAVE);
    assertThat(first.sendDontHave()).isTrue();
    assertThat(holder.pollWants().wantlist().get(0).wantType()).isEqualTo(BitswapMessage.WantType.BLOCK);
    assertThat(bystander.pollWants().wantlist().get(0).wantType()).isEqualTo(BitswapMessage.WantType.HAVE);
    assertThat(bystander.pollWants().wantlist().get(0).cancel()).as("cancel once the block arrived").isTrue();
    assertThat(a.store().has(b.cid())).isTrue();
  }

  private static void send(RawPeer from, BitswapNodes.Node to, BitswapMessage m) {
    try {
      from.send(to.host(), Bitswap.PROTOCOL_1_2_0, m);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void olderPeersGetWantBlocksAndTheirOwnBlockFormat() throws Exception {
    BitswapNodes.Node a = nodes.node();
    Block v0 = BitswapMessageTest.v0Block(new byte[] {1, 2, 3, 4});
    Block fetched = block(700);
    a.store().put(v0);
    // A 1.0.0-only peer asks for a block: it gets it in the 1.0.0 "blocks" field, and no presences.
    RawPeer old = raw(Bitswap.PROTOCOL_1_0_0);
    old.send(a.host(), Bitswap.PROTOCOL_1_0_0, BitswapMessage.wants(List.of(Entry.wantBlock(v0.cid(), 1, false),
        Entry.wantBlock(block(5).cid(), 1, true))));
    BitswapMessage m = old.pollAnswer();
    assertThat(m.blocks()).hasSize(1);
    assertThat(m.blocks().get(0).prefix()).isEqualTo(CidPrefix.V0.encode()); // what decode gives for field 2
    assertThat(m.blocks().get(0).cid()).isEqualTo(v0.cid());
    assertThat(m.presences()).isEmpty();

    // A 1.1.0-only peer is asked with want-block (it has no want-have) and answers with a payload.
    RawPeer v11 = raw(Bitswap.PROTOCOL_1_1_0).onMessage((p, msg) -> {
      for (Entry e : msg.wantlist()) {
        if (!e.cancel() && e.cid().equals(fetched.cid())) {
          try {
            p.send(a.host(), Bitswap.PROTOCOL_1_1_0, new BitswapMessage(List.of(), false, List.of(Payload.of(fetched)), List.of(), 0));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        }
      }
    });
    connect(a.host(), v11.host);
    assertThat(a.bitswap().get(fetched.cid()).get(10, TimeUnit.SECONDS).data()).isEqualTo(fetched.data());
    assertThat(v11.pollWants().wantlist().get(0).wantType()).isEqualTo(BitswapMessage.WantType.BLOCK);
  }

  @Test
  void blocksThatDoNotMatchTheirCidAreRejectedAndThePeerIsCutOff() throws Exception {
    BitswapNodes.Node a = nodes.node(BitswapConfig.builder().maxStrikes(3).build());
    BitswapNodes.Node good = nodes.node();
    Block b = block(3000);
    good.store().put(b);
    // The liar answers every want with the right prefix and the wrong bytes, three times.
    RawPeer liar = raw(Bitswap.PROTOCOL_1_2_0).onMessage((p, m) -> {
      for (Entry e : m.wantlist()) {
        if (!e.cancel()) {
          byte[] junk = new byte[3000];
          for (int i = 0; i < 3; i++) {
            send(p, a, new BitswapMessage(List.of(), false, List.of(new Payload(CidPrefix.of(e.cid()).encode(), junk)), List.of(), 0));
          }
        }
      }
    });
    connect(a.host(), liar.host);
    BitswapSession session = a.bitswap().newSession();
    session.addPeer(liar.host.peerId());
    CompletableFuture<Block> get = session.get(b.cid());

    await("liar cut off", () -> a.bitswap().ledgers().get(liar.host.peerId()) != null
        && a.bitswap().ledgers().get(liar.host.peerId()).blocked());
    await("liar disconnected", () -> a.host().connections(liar.host.peerId()).isEmpty());
    assertThat(a.bitswap().stats().rejectedBlocks()).isGreaterThanOrEqualTo(3);
    assertThat(a.bitswap().ledgers().get(liar.host.peerId()).strikes()).isEqualTo(3);
    assertThat(a.store().has(b.cid())).as("nothing stored").isFalse();
    assertThat(a.store().count()).isZero();

    // Ignored for a while: its new connections are closed at once.
    liar.host.connect(BitswapNodes.addr(a.host())).get(10, TimeUnit.SECONDS);
    await("reconnection refused", () -> a.host().connections(liar.host.peerId()).isEmpty());

    // The honest peer still gets the block to us.
    connect(a.host(), good.host());
    session.addPeer(good.host().peerId());
    assertThat(get.get(15, TimeUnit.SECONDS).data()).isEqualTo(b.data());
  }

  @Test
  void ledgersKeptForDisconnectedPeersWithStrikesAreCapped() throws Exception {
    BitswapNodes.Node a = nodes.node(BitswapConfig.builder().maxRememberedPeers(2).build());
    List<PeerId> struck = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      RawPeer peer = raw(Bitswap.PROTOCOL_1_2_0);
      PeerId id = peer.host.peerId();
      peer.sendRaw(a.host(), Bitswap.PROTOCOL_1_2_0, new byte[] {0x0a, 0x05, 0x0a}); // undecodable: a strike
      await("strike " + i, () -> a.bitswap().ledgers().containsKey(id) && a.bitswap().ledgers().get(id).strikes() == 1);
      peer.host.connections(a.host().peerId()).forEach(Connection::close);
      await("disconnect " + i, () -> a.host().connections(id).isEmpty());
      struck.add(id);
    }
    // Without the cap all four would stay; while the last one is still connected there are three.
    await("only two remembered", () -> a.bitswap().ledgers().size() == 2);
    assertThat(a.bitswap().ledgers()).containsOnlyKeys(struck.get(2), struck.get(3));
  }

  @Test
  void aWantlistFloodAndOversizedMessagesDoNotStopServingAnHonestPeer() throws Exception {
    BitswapNodes.Node a = nodes.node(BitswapConfig.builder().maxWantlistEntries(100).maxStrikes(100).build());
    BitswapNodes.Node honest = nodes.node();
    byte[] data = BitswapNodes.randomBytes(9, 2 * 1024 * 1024);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    RawPeer flooder = raw(Bitswap.PROTOCOL_1_2_0);
    List<Entry> flood = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      flood.add(Entry.wantBlock(block(8).cid(), 1, true));
    }
    flooder.send(a.host(), Bitswap.PROTOCOL_1_2_0, BitswapMessage.wants(flood));
    await("flood processed", () -> a.bitswap().stats().wantsRefused() >= 2900);
    assertThat(a.bitswap().engine().wantlistSize(flooder.host.peerId())).isEqualTo(100);
    assertThat(a.bitswap().ledgers().get(flooder.host.peerId()).wantsPending()).isEqualTo(100);

    // A frame over the 4 MiB limit: refused before it is buffered, stream closed, a strike.
    byte[] huge = new byte[BitswapConfig.DEFAULT_MAX_MESSAGE_SIZE + 1];
    flooder.sendRaw(a.host(), Bitswap.PROTOCOL_1_2_0, huge);
    await("oversized message struck", () -> a.bitswap().ledgers().get(flooder.host.peerId()).strikes() >= 1);

    connect(honest.host(), a.host());
    FetchResult r = honest.bitswap().fetchDag(root).get(30, TimeUnit.SECONDS);
    assertThat(r.blocks()).isEqualTo(a.store().count());
  }

  @Test
  void aPeerThatDoesNotReadNeverHasMoreThanItsBudgetQueued() throws Exception {
    long budget = 1024 * 1024;
    BitswapNodes.Node a = nodes.node(BitswapConfig.builder().maxQueuedBytesPerPeer(budget).targetMessageSize(256 * 1024).build());
    List<Entry> wants = new ArrayList<>();
    for (int i = 0; i < 64; i++) { // 16 MiB asked for
      Block b = block(256 * 1024);
      a.store().put(b);
      wants.add(Entry.wantBlock(b.cid(), 1, false));
    }
    RawPeer sink = raw(Bitswap.PROTOCOL_1_2_0).stopReading();
    sink.send(a.host(), Bitswap.PROTOCOL_1_2_0, BitswapMessage.wants(wants));
    long maxQueued = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < deadline) {
      maxQueued = Math.max(maxQueued, a.bitswap().engine().queuedBytes(sink.host.peerId()));
      Thread.sleep(2);
    }
    assertThat(maxQueued).as("bytes read from the store and not yet taken by the connection").isPositive().isLessThanOrEqualTo(budget);
    // Only what the yamux window let through left the queue: far from the 16 MiB asked for.
    assertThat(a.bitswap().stats().bytesSent()).isLessThan(4L * 1024 * 1024);
    assertThat(a.bitswap().engine().wantlistSize(sink.host.peerId())).isGreaterThan(40);
  }
}
