package io.canopy.compute.job;

import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.canopy.p2p.yamux.YamuxStreamChannel;
import io.canopy.protocol.compute.ComputeCodec;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.ComputeMessage.Rejected;
import io.canopy.protocol.compute.ComputeMessageException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * Binds {@link ComputeProvider} to streams of {@code /canopy/compute/1.0.0} (spec/compute.md §3.2):
 * reads the one request frame (at most {@code maxFrameSize}; a larger one resets the stream),
 * dispatches it, writes the chunks and the last message, then closes. The client's FIN, reset or
 * a closed connection before the last message cancel the job.
 *
 * <p>Buffers: each inbound frame is released here as soon as its bytes are copied out; each
 * outbound message is a wrapped heap buffer released by the stream once written (or failed).
 */
final class ComputeProtocol implements StreamHandler {
  private final ComputeProvider provider;
  private final ComputeConfig config;

  ComputeProtocol(ComputeProvider provider, ComputeConfig config) {
    this.provider = provider;
    this.config = config;
  }

  @Override
  public void initStream(Channel stream, String protocol, Connection connection) {
    stream.pipeline().addLast(new VarintFrameDecoder(config.maxFrameSize()), VarintFrameEncoder.INSTANCE, new NodeStream(stream));
  }

  static void reset(Channel stream) {
    if (stream instanceof YamuxStreamChannel yamux) {
      yamux.reset();
    } else {
      stream.close();
    }
  }

  private final class NodeStream extends ChannelInboundHandlerAdapter implements JobOutput {
    private final Channel stream;
    private volatile boolean over;
    private boolean received;
    private ComputeProvider.JobHandle job;
    private ScheduledFuture<?> requestTimer;

    NodeStream(Channel stream) {
      this.stream = stream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      requestTimer = ctx.executor().schedule(() -> {
        if (!received) {
          over = true;
          reset(stream);
        }
      }, config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      byte[] bytes;
      try {
        if (received) {
          return; // one request per stream; anything more is ignored
        }
        received = true;
        bytes = ByteBufUtil.getBytes(frame);
      } finally {
        frame.release();
      }
      requestTimer.cancel(false);
      ComputeMessage request;
      try {
        request = ComputeCodec.decode(bytes);
      } catch (ComputeMessageException e) {
        finish(new Rejected(Code.BAD_REQUEST, e.getMessage()));
        return;
      }
      if (request instanceof ComputeMessage.CapabilityRequest) {
        finish(provider.capabilities());
      } else if (request instanceof ComputeMessage.Job j) {
        job = provider.start(j.request(), this);
      } else {
        finish(new Rejected(Code.BAD_REQUEST, "not a request a compute node answers: " + request.getClass().getSimpleName()));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        clientGone("client closed the stream");
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (requestTimer != null) {
        requestTimer.cancel(false);
      }
      clientGone("stream closed");
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // e.g. an oversized frame, or the client's reset: the stream goes, the connection lives
      clientGone(String.valueOf(cause.getMessage()));
      over = true;
      reset(stream);
    }

    private void clientGone(String why) {
      if (job != null && !over) {
        job.cancel(why);
      }
    }

    @Override
    public void chunk(byte[] bytes) {
      if (over || !stream.isActive()) {
        throw new CancellationException("stream closed");
      }
      ChannelFuture written = stream.writeAndFlush(Unpooled.wrappedBuffer(ComputeCodec.encode(new ComputeMessage.Chunk(bytes))));
      if (!stream.isWritable() && !stream.eventLoop().inEventLoop()) {
        written.awaitUninterruptibly(); // back-pressure: the client reads no faster than this
      }
      if (written.isDone() && !written.isSuccess()) {
        throw new CancellationException("stream closed: " + written.cause());
      }
    }

    @Override
    public void finish(ComputeMessage last) {
      over = true;
      stream.writeAndFlush(Unpooled.wrappedBuffer(ComputeCodec.encode(last))).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void abort() {
      over = true;
      reset(stream);
    }
  }
}
