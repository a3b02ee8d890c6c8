package io.canopy.p2p.noise;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The secured connection after the handshake (libp2p noise spec §Transport Messages): every
 * outbound ByteBuf becomes one or more Noise transport messages of at most {@value
 * CipherState#MAX_PLAINTEXT_LENGTH} plaintext bytes each, every inbound frame is decrypted and
 * fired on as one plaintext ByteBuf. A frame that does not authenticate, or is too short to hold
 * a tag, closes the connection.
 *
 * <p>Buffers: an outbound ByteBuf is released here once encrypted; the ciphertext buffer is
 * allocated here and released by the transport. Inbound ciphertext belongs to {@link
 * io.netty.handler.codec.ByteToMessageDecoder}; each plaintext ByteBuf fired on is allocated here
 * and owned — to be released — by the handler that receives it. Non-ByteBuf writes are refused
 * (released, promise failed): nothing leaves this connection unencrypted.
 */
final class NoiseTransportCodec extends NoiseFramedHandler {
  private static final int FRAME_OVERHEAD = LENGTH_PREFIX + CipherState.TAG_LENGTH;

  private final CipherState sender;
  private final CipherState receiver;

  NoiseTransportCodec(CipherState sender, CipherState receiver) {
    this.sender = sender;
    this.receiver = receiver;
  }

  @Override
  String what() {
    return "Noise transport";
  }

  /** The upper layers (the muxer) decide what an I/O error means once the channel is secured. */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.fireExceptionCaught(cause);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed()) {
      in.skipBytes(in.readableBytes());
      return;
    }
    int announced = peekFrameLength(in);
    if (announced >= 0 && announced < CipherState.TAG_LENGTH) {
      in.skipBytes(in.readableBytes());
      fail(ctx, new NoiseException("transport message of " + announced + " bytes is shorter than its tag"));
      return;
    }
    ByteBuf frame = readFrame(in);
    if (frame == null) {
      return;
    }
    int plaintextLength = frame.readableBytes() - CipherState.TAG_LENGTH;
    ByteBuf plaintext = ctx.alloc().buffer(plaintextLength);
    try {
      receiver.decrypt(frame.nioBuffer(), plaintext.nioBuffer(0, plaintextLength));
      plaintext.writerIndex(plaintextLength);
      if (plaintextLength > 0) {
        out.add(plaintext); // ownership passes to the next handler
        plaintext = null;
      }
    } catch (NoiseException e) {
      in.skipBytes(in.readableBytes());
      fail(ctx, e);
    } finally {
      if (plaintext != null) {
        plaintext.release();
      }
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf buf)) {
      ReferenceCountUtil.release(msg);
      promise.setFailure(new IllegalArgumentException(
          "a Noise channel sends ByteBufs only, not " + msg.getClass().getName()));
      return;
    }
    ByteBuf ciphertext = null;
    try {
      int length = buf.readableBytes();
      if (length == 0) {
        ctx.write(Unpooled.EMPTY_BUFFER, promise); // nothing to send; keep the promise's meaning
        return;
      }
      int frames = (length + CipherState.MAX_PLAINTEXT_LENGTH - 1) / CipherState.MAX_PLAINTEXT_LENGTH;
      ciphertext = ctx.alloc().buffer(length + frames * FRAME_OVERHEAD);
      while (buf.isReadable()) {
        int chunk = Math.min(buf.readableBytes(), CipherState.MAX_PLAINTEXT_LENGTH);
        int sealed = chunk + CipherState.TAG_LENGTH;
        ciphertext.writeShort(sealed);
        sender.encrypt(buf.nioBuffer(buf.readerIndex(), chunk), ciphertext.nioBuffer(ciphertext.writerIndex(), sealed));
        ciphertext.writerIndex(ciphertext.writerIndex() + sealed);
        buf.skipBytes(chunk);
      }
      ctx.write(ciphertext, promise); // the transport releases it
      ciphertext = null;
    } catch (NoiseException e) {
      promise.tryFailure(e);
      fail(ctx, e);
    } finally {
      buf.release();
      if (ciphertext != null) {
        ciphertext.release();
      }
    }
  }
}
