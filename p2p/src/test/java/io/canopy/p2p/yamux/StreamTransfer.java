package io.canopy.p2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * A small request/response protocol for the loopback tests, checked end to end with SHA-256.
 *
 * <p>The client sends an 8-byte download length L, then its upload (pseudo-random bytes), then
 * FIN. The server answers, once it has the client's FIN, with the SHA-256 of the upload it
 * received, then L pseudo-random bytes, then their SHA-256, then FIN. Both sides write only while
 * their stream channel is writable.
 */
final class StreamTransfer {
  static final int CHUNK = 16 * 1024;

  private StreamTransfer() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static void update(MessageDigest digest, ByteBuf buf, int length) {
    for (ByteBuffer b : buf.nioBuffers(buf.readerIndex(), length)) {
      digest.update(b);
    }
    buf.skipBytes(length);
  }

  /** Writes {@code total} pseudo-random bytes in chunks, only while the channel is writable. */
  static final class Pump {
    final long total;
    final MessageDigest digest = sha256();
    private final SplittableRandom random;
    private final Channel channel;
    private final Runnable onDone;
    long written;
    long maxPending;
    byte[] sha;
    private boolean running;
    private boolean again;

    Pump(Channel channel, long total, long seed, Runnable onDone) {
      this.channel = channel;
      this.total = total;
      this.random = new SplittableRandom(seed);
      this.onDone = onDone;
    }

    /** Writes what it can; call again on every writability change. Runs on the event loop. */
    void run() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          byte[] chunk = new byte[CHUNK];
          while (written < total && channel.isWritable()) {
            int n = (int) Math.min(CHUNK, total - written);
            random.nextBytes(chunk);
            digest.update(chunk, 0, n);
            channel.write(channel.alloc().buffer(n).writeBytes(chunk, 0, n));
            written += n;
            maxPending = Math.max(maxPending, ((YamuxStreamChannel) channel).pendingOutboundBytes());
          }
          channel.flush();
        } while (again || (written < total && channel.isWritable()));
      } finally {
        running = false;
      }
      if (written == total && sha == null) {
        sha = digest.digest();
        onDone.run();
      }
    }
  }

  /** The server side of one stream. */
  static final class Server extends ChannelInboundHandlerAdapter {
    private final ByteBuf header = io.netty.buffer.Unpooled.buffer(8);
    private final MessageDigest upload = sha256();
    private Pump pump;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        if (header.isWritable()) {
          buf.readBytes(header, Math.min(header.writableBytes(), buf.readableBytes()));
        }
        update(upload, buf, buf.readableBytes());
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt != ChannelInputShutdownEvent.INSTANCE) {
        return;
      }
      Channel ch = ctx.channel();
      long length = header.readLong();
      header.release();
      ch.write(ch.alloc().buffer(32).writeBytes(upload.digest()));
      pump = new Pump(ch, length, length, () -> {
        ch.writeAndFlush(ch.alloc().buffer(32).writeBytes(pump.sha));
        ((YamuxStreamChannel) ch).closeWrite();
      });
      pump.run();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (pump != null) {
        pump.run();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (header.refCnt() > 0) {
        header.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** The client side of one stream; {@link #result} completes when both digests matched. */
  static final class Client extends ChannelInboundHandlerAdapter {
    final CompletableFuture<Void> result = new CompletableFuture<>();
    private final long upload;
    private final long download;
    private final long seed;
    private final byte[] uploadSha = new byte[32];
    private final byte[] trailer = new byte[32];
    private final MessageDigest downloaded = sha256();
    private int uploadShaRead;
    private long downloadRead;
    private int trailerRead;
    private Pump pump;

    Client(long upload, long download, long seed) {
      this.upload = upload;
      this.download = download;
      this.seed = seed;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      ch.write(ch.alloc().buffer(8).writeLong(download));
      pump = new Pump(ch, upload, seed, () -> ((YamuxStreamChannel) ch).closeWrite());
      pump.run();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (pump != null) {
        pump.run();
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        int n = Math.min(32 - uploadShaRead, buf.readableBytes());
        buf.readBytes(uploadSha, uploadShaRead, n);
        uploadShaRead += n;
        n = (int) Math.min(download - downloadRead, buf.readableBytes());
        update(downloaded, buf, n);
        downloadRead += n;
        n = Math.min(32 - trailerRead, buf.readableBytes());
        buf.readBytes(trailer, trailerRead, n);
        trailerRead += n;
        if (buf.isReadable()) {
          result.completeExceptionally(new AssertionError(buf.readableBytes() + " bytes past the end"));
        }
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt != ChannelInputShutdownEvent.INSTANCE) {
        return;
      }
      HexFormat hex = HexFormat.of();
      if (pump == null || pump.sha == null) {
        result.completeExceptionally(new AssertionError("the server finished before the upload did"));
      } else if (!Arrays.equals(uploadSha, pump.sha)) {
        result.completeExceptionally(new AssertionError(
            "upload of " + upload + " bytes: sent " + hex.formatHex(pump.sha) + ", server got " + hex.formatHex(uploadSha)));
      } else if (downloadRead != download || trailerRead != 32) {
        result.completeExceptionally(new AssertionError("download: " + downloadRead + " of " + download + " bytes"));
      } else if (!Arrays.equals(trailer, downloaded.digest())) {
        result.completeExceptionally(new AssertionError("download of " + download + " bytes: digest differs"));
      } else {
        result.complete(null);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new AssertionError("stream closed before the transfer finished"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
