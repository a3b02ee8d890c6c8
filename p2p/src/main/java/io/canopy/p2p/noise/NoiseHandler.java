package io.canopy.p2p.noise;

import io.canopy.identity.PeerId;
import io.canopy.p2p.noise.NoiseHandshakeState.Role;
import io.canopy.p2p.noise.NoiseHandshakeState.TransportCiphers;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.util.List;

/**
 * Runs the libp2p Noise XX handshake on a channel, then replaces itself with the transport codec
 * that encrypts and decrypts everything after it (libp2p specs, noise/README.md).
 *
 * <p>The initiator sends the first message as soon as the channel is active, or at once when
 * added to an active channel (after multistream-select picked {@value
 * NoiseSecureChannel#PROTOCOL_ID}); the responder waits for it. The responder's payload rides in
 * message 2, the initiator's in message 3. Each side checks that the peer's identity key signed
 * the peer's Noise static key; the initiator also checks the peer ID it dialed, when given.
 *
 * <p>On success, in this order: the transport codec takes this handler's place (same name), the
 * promise is completed with the authenticated remote peer ID, and bytes read past the last
 * handshake message go to the codec. So a listener that installs the next handler (on this
 * channel's event loop) is in place before decrypted data arrives, and anything it writes is
 * encrypted. Writes from handlers behind this one are refused until then.
 *
 * <p>On failure (bad message, bad signature, unexpected peer, channel closed, an exception) the
 * promise fails with the reason, which is logged at DEBUG, and the channel is closed.
 *
 * <p>Buffers: inbound bytes belong to {@link io.netty.handler.codec.ByteToMessageDecoder} (see
 * {@link NoiseFramedHandler}); handshake messages are written in buffers allocated here and
 * released by the transport; refused writes are released here.
 */
public final class NoiseHandler extends NoiseFramedHandler {
  private static final byte[] NO_PAYLOAD = new byte[0];

  private final NoiseHandshakeState handshake;
  private final byte[] localPayload;
  private final PeerId expectedRemote; // null: any peer (responder, or a dial without /p2p/)
  private final int maxHandshakeMessageLength;
  private final Promise<PeerId> remote;
  private boolean started;
  private boolean done;

  NoiseHandler(
      NoiseHandshakeState handshake,
      NoisePayload localPayload,
      PeerId expectedRemote,
      int maxHandshakeMessageLength,
      Promise<PeerId> remote) {
    if (expectedRemote != null && handshake.role() != Role.INITIATOR) {
      throw new IllegalArgumentException("only the initiator knows which peer to expect");
    }
    this.handshake = handshake;
    this.localPayload = localPayload.encode();
    this.expectedRemote = expectedRemote;
    this.maxHandshakeMessageLength = maxHandshakeMessageLength;
    this.remote = remote;
  }

  /** The promise completed with the authenticated remote peer ID. */
  public Promise<PeerId> remotePeer() {
    return remote;
  }

  @Override
  String what() {
    return "Noise handshake";
  }

  @Override
  void onFailure(Throwable reason) {
    done = true;
    remote.tryFailure(reason);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      start(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    start(ctx);
    ctx.fireChannelActive();
  }

  private void start(ChannelHandlerContext ctx) {
    if (started) {
      return;
    }
    started = true;
    if (handshake.role() == Role.INITIATOR) {
      try {
        send(ctx, handshake.writeMessage(NO_PAYLOAD)); // -> e
      } catch (NoiseException e) {
        fail(ctx, e);
      }
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (done || failed()) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!started) {
      start(ctx);
    }
    int announced = peekFrameLength(in);
    if (announced > maxHandshakeMessageLength) {
      in.skipBytes(in.readableBytes());
      fail(ctx, new NoiseException("handshake message of " + announced + " bytes exceeds the limit of "
          + maxHandshakeMessageLength));
      return;
    }
    ByteBuf frame = readFrame(in);
    if (frame == null) {
      return;
    }
    byte[] message = new byte[frame.readableBytes()];
    frame.readBytes(message);
    try {
      received(ctx, message);
    } catch (NoiseException | RuntimeException e) {
      in.skipBytes(in.readableBytes());
      fail(ctx, e);
    }
  }

  private void received(ChannelHandlerContext ctx, byte[] message) throws NoiseException {
    if (handshake.isMyTurn()) {
      throw new NoiseException("peer sent a handshake message out of turn");
    }
    byte[] payload = handshake.readMessage(message);
    if (handshake.role() == Role.RESPONDER && !handshake.isFinished()) {
      // Read "-> e"; its payload is empty in libp2p and ignored. Answer "<- e, ee, s, es".
      send(ctx, handshake.writeMessage(localPayload));
      return;
    }
    PeerId peer = NoisePayload.decode(payload).verify(handshake.remoteStaticKey());
    if (expectedRemote != null && !expectedRemote.equals(peer)) {
      throw new NoiseException("peer ID mismatch: dialed " + expectedRemote + " but the peer is " + peer);
    }
    if (handshake.role() == Role.INITIATOR) {
      send(ctx, handshake.writeMessage(localPayload)); // -> s, se
    }
    finish(ctx, peer);
  }

  private void finish(ChannelHandlerContext ctx, PeerId peer) {
    done = true;
    TransportCiphers ciphers = handshake.split();
    // The codec takes this handler's place before anyone learns of the success; bytes still in
    // this decoder's buffer go to it once decode() returns (ByteToMessageDecoder removal).
    ctx.pipeline().replace(this, ctx.name(), new NoiseTransportCodec(ciphers.sender(), ciphers.receiver()));
    if (!remote.trySuccess(peer)) {
      ctx.close(); // the promise was cancelled (e.g. a timeout): nobody wants this connection
    }
  }

  private static void send(ChannelHandlerContext ctx, byte[] message) {
    ByteBuf buf = ctx.alloc().buffer(LENGTH_PREFIX + message.length);
    buf.writeShort(message.length);
    buf.writeBytes(message);
    ctx.writeAndFlush(buf, ctx.voidPromise()); // the transport releases buf
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (!done) {
      fail(ctx, new NoiseException("connection closed during the Noise handshake"));
    }
    super.channelInactive(ctx);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ReferenceCountUtil.release(msg);
    promise.setFailure(new IllegalStateException("the Noise handshake is not finished: nothing may be sent yet"));
  }
}
