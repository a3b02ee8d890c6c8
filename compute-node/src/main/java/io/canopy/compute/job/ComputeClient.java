package io.canopy.compute.job;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.canopy.protocol.compute.ComputeCodec;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Receipt;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The caller's side of {@code /canopy/compute/1.0.0} (spec/compute.md §3.6): sends a job, hands
 * each output chunk to the caller as it arrives, and completes only with a receipt that verifies
 * against the job and the bytes actually received. Cancelling the returned future, or the
 * timeout, resets the stream, which cancels the job on the node.
 */
public final class ComputeClient {
  /** Most output bytes accepted for one job by default. */
  public static final int DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

  private final Host host;
  private final int maxOutput;

  public ComputeClient(Host host) {
    this(host, DEFAULT_MAX_OUTPUT);
  }

  public ComputeClient(Host host, int maxOutput) {
    this.host = host;
    this.maxOutput = maxOutput;
  }

  /** The models {@code node} serves and its free slots for each. */
  public CompletableFuture<List<ModelOffer>> capabilities(PeerId node, Duration timeout) {
    return UnaryRpc.call(host, node, ComputeMessage.PROTOCOL_ID, ComputeCodec.encode(new ComputeMessage.CapabilityRequest()),
            ComputeMessage.MAX_FRAME_SIZE, timeout)
        .thenApply(bytes -> {
          ComputeMessage reply = ComputeCodec.decode(bytes);
          if (reply instanceof ComputeMessage.Capabilities c) {
            return c.offers();
          }
          if (reply instanceof ComputeMessage.Rejected r) {
            throw new JobRejectedException(r.code(), r.reason());
          }
          throw new ComputeMessageException("answer to a capability query is " + reply.getClass().getSimpleName());
        });
  }

  /**
   * Runs {@code request} on {@code node}. {@code onChunk} gets each chunk's bytes in order, on the
   * stream's event loop (it must not block). The future fails with {@link JobRejectedException} if
   * the node refuses or gives up, {@link InvalidReceiptException} if the receipt does not match,
   * {@link TimeoutException} past {@code timeout}, or an {@link IOException} if the stream breaks.
   */
  public CompletableFuture<JobResult> submit(PeerId node, JobRequest request, Consumer<byte[]> onChunk, Duration timeout) {
    CompletableFuture<JobResult> result = new CompletableFuture<>();
    byte[] encoded = ComputeCodec.encode(new ComputeMessage.Job(request));
    host.newStream(node, List.of(ComputeMessage.PROTOCOL_ID), (stream, selected, connection) -> {
      stream.pipeline().addLast(new VarintFrameDecoder(ComputeMessage.MAX_FRAME_SIZE), VarintFrameEncoder.INSTANCE,
          new ClientStream(node, request, onChunk, result));
      ScheduledFuture<?> timer = stream.eventLoop().schedule(
          () -> result.completeExceptionally(new TimeoutException("no receipt within " + timeout.toMillis() + " ms")),
          timeout.toMillis(), TimeUnit.MILLISECONDS);
      result.whenComplete((r, e) -> {
        timer.cancel(false);
        if (e != null) {
          ComputeProtocol.reset(stream); // the node cancels the job
        } else {
          stream.close();
        }
      });
      stream.writeAndFlush(Unpooled.wrappedBuffer(encoded)).addListener(f -> {
        if (!f.isSuccess()) {
          result.completeExceptionally(f.cause());
        }
      });
    }).whenComplete((stream, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /** Checks {@code receipt} against the job and the output received (spec §3.6); throws {@link InvalidReceiptException}. */
  public static void verify(Receipt receipt, PeerId node, JobRequest request, byte[] outputHash) {
    if (!receipt.node().equals(node)) {
      throw new InvalidReceiptException("receipt names node " + receipt.node() + ", the job ran on " + node);
    }
    if (!receipt.jobId().equals(request.jobId())) {
      throw new InvalidReceiptException("receipt is for job " + receipt.jobId() + ", not " + request.jobId());
    }
    if (!receipt.model().equals(request.model())) {
      throw new InvalidReceiptException("receipt is for model " + receipt.model() + ", not " + request.model());
    }
    if (!MessageDigest.isEqual(receipt.inputHash(), Receipt.sha256(request.input()))) {
      throw new InvalidReceiptException("receipt's input hash is not that of the input sent");
    }
    if (!MessageDigest.isEqual(receipt.paramsHash(), Receipt.sha256(request.params().encode()))) {
      throw new InvalidReceiptException("receipt's params hash is not that of the params sent");
    }
    if (!MessageDigest.isEqual(receipt.outputHash(), outputHash)) {
      throw new InvalidReceiptException("receipt's output hash is not that of the output received");
    }
    if (!receipt.verify()) {
      throw new InvalidReceiptException("receipt signature does not verify");
    }
  }

  private final class ClientStream extends ChannelInboundHandlerAdapter {
    private final PeerId node;
    private final JobRequest request;
    private final Consumer<byte[]> onChunk;
    private final CompletableFuture<JobResult> result;
    private final MessageDigest outputHash = Receipt.newSha256();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    ClientStream(PeerId node, JobRequest request, Consumer<byte[]> onChunk, CompletableFuture<JobResult> result) {
      this.node = node;
      this.request = request;
      this.onChunk = onChunk;
      this.result = result;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      byte[] bytes;
      try {
        bytes = ByteBufUtil.getBytes(frame);
      } finally {
        frame.release();
      }
      if (result.isDone()) {
        return;
      }
      try {
        ComputeMessage m = ComputeCodec.decode(bytes);
        if (m instanceof ComputeMessage.Chunk c) {
          if (output.size() + (long) c.bytes().length > maxOutput) {
            throw new ComputeMessageException("output exceeds the client's limit of " + maxOutput + " bytes");
          }
          outputHash.update(c.bytes());
          output.writeBytes(c.bytes());
          onChunk.accept(c.bytes());
        } else if (m instanceof ComputeMessage.Done d) {
          verify(d.receipt(), node, request, outputHash.digest());
          result.complete(new JobResult(output.toByteArray(), d.receipt()));
        } else if (m instanceof ComputeMessage.Rejected r) {
          result.completeExceptionally(new JobRejectedException(r.code(), r.reason()));
        } else {
          throw new ComputeMessageException("unexpected " + m.getClass().getSimpleName() + " during a job");
        }
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IOException("stream closed before the receipt"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }

}
