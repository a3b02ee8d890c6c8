package io.canopy.p2p.kad;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.canopy.protobuf.ProtoWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hostile or broken peers: each bad input is refused with a reason, and the node goes on serving. */
class KadDhtBadInputTest {
  private static final int MAX_MESSAGE = 4096;
  private KadTestNetwork net;
  private KadDht server;
  private Host client;
  private PeerId serverId;

  @BeforeEach
  void start() throws Exception {
    net = new KadTestNetwork(99);
    KadConfig config = KadConfig.builder().maxMessageSize(MAX_MESSAGE).maxRequestsPerStream(3).build();
    net.grow(3, config);
    server = net.dhts.get(1);
    serverId = net.hosts.get(1).peerId();
    client = net.hosts.get(0);
  }

  @AfterEach
  void stop() {
    net.close();
  }

  /** Opens a raw DHT stream from node 0 to node 1, writes these frames, and waits until node 1 ends the stream. */
  private void sendRawFrames(byte[]... frames) throws Exception {
    Channel stream = client.newStream(serverId, List.of(KadDht.PROTOCOL_ID), (s, p, c) ->
        s.pipeline().addLast(new VarintFrameDecoder(1 << 20), VarintFrameEncoder.INSTANCE, new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release(); // answers to the valid requests among the frames
          }
        })).get(10, TimeUnit.SECONDS);
    for (byte[] f : frames) {
      stream.writeAndFlush(Unpooled.wrappedBuffer(f));
    }
    assertThat(stream.closeFuture().await(10, TimeUnit.SECONDS)).as("the server ended the stream").isTrue();
  }

  private void assertStillServes() throws Exception {
    KadMessage answer = net.dhts.get(0).send(serverId, KadMessage.request(KadMessage.Type.FIND_NODE, serverId.toBytes()), true)
        .get(10, TimeUnit.SECONDS);
    assertThat(answer.type()).isEqualTo(KadMessage.Type.FIND_NODE);
  }

  @Test
  void oversizedMessageIsRefused() throws Exception {
    sendRawFrames(new byte[MAX_MESSAGE + 1]);
    assertThat(server.refusals()).isEqualTo(1);
    assertThat(server.lastRefusal()).contains("exceeds the limit of " + MAX_MESSAGE);
    assertStillServes();
  }

  @Test
  void malformedProtobufIsRefused() throws Exception {
    sendRawFrames(new byte[] {0x12, 0x7F, 0x01}); // field 2, length 127, one byte of it
    assertThat(server.lastRefusal()).startsWith("malformed message");
    assertStillServes();
  }

  @Test
  void unknownMessageTypeAndMissingKeyAreRefused() throws Exception {
    sendRawFrames(new ProtoWriter().varint(1, 9).toByteArray());
    assertThat(server.lastRefusal()).isEqualTo("unknown message type 9");
    sendRawFrames(new ProtoWriter().varint(1, KadMessage.Type.GET_PROVIDERS.ordinal()).toByteArray());
    assertThat(server.lastRefusal()).isEqualTo("GET_PROVIDERS without a key");
    assertStillServes();
  }

  @Test
  void tooManyRequestsOnOneStreamAreRefused() throws Exception {
    byte[] findNode = KadMessage.request(KadMessage.Type.FIND_NODE, "x".getBytes(StandardCharsets.UTF_8)).encode();
    sendRawFrames(findNode, findNode, findNode, findNode);
    assertThat(server.lastRefusal()).isEqualTo("more than 3 requests on one stream");
    assertStillServes();
  }

  @Test
  void aPeerAnsweringGarbageCloserPeersIsDroppedWithTheReason() throws Exception {
    // a host that claims the DHT protocol and answers every request with an invalid peer ID
    Host liar = net.hosts.get(2);
    PeerId liarId = liar.peerId();
    byte[] garbage = new ProtoWriter()
        .varint(1, KadMessage.Type.FIND_NODE.ordinal())
        .message(8, new ProtoWriter().bytes(1, new byte[] {0x55, 0x03, 1, 2, 3}))
        .toByteArray();
    liar.registerProtocol(KadDht.PROTOCOL_ID, (s, p, c) ->
        s.pipeline().addLast(new VarintFrameDecoder(1 << 16), VarintFrameEncoder.INSTANCE, new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(garbage));
          }
        }));
    KadDht asker = net.dhts.get(0);
    asker.routingTable().offer(liarId);
    assertThat(asker.routingTable().contains(liarId)).isTrue();

    List<PeerId> closest = asker.findClosestPeers(liarId.toBytes()).get(30, TimeUnit.SECONDS);
    LookupStats stats = asker.lastLookupStats();
    assertThat(stats.failures()).containsKey(liarId);
    assertThat(stats.failures().get(liarId)).contains("closerPeers[0] is not a valid peer ID");
    assertThat(closest).doesNotContain(liarId).contains(serverId);
    assertThat(asker.routingTable().contains(liarId)).as("dropped from the table").isFalse();
    // and the asker still serves others
    assertThat(net.dhts.get(1).send(net.hosts.get(0).peerId(), KadMessage.request(KadMessage.Type.FIND_NODE, new byte[] {1}), true)
        .get(10, TimeUnit.SECONDS).type()).isEqualTo(KadMessage.Type.FIND_NODE);
  }
}
