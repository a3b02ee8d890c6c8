package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.kad.KadConfig;
import io.canopy.p2p.kad.KadDht;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.canopy.protocol.compute.ComputeCodec;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /canopy/compute/1.0.0} between real hosts on 127.0.0.1 (spec/compute.md §3). */
class ComputeJobTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final long WAIT_SECONDS = 30;

  private final List<AutoCloseable> closeAtEnd = new ArrayList<>();
  private final Host client = host(Ed25519PrivateKey.generate(new SecureRandom()));
  private final ComputeClient compute = new ComputeClient(client);

  @AfterEach
  void close() throws Exception {
    for (int i = closeAtEnd.size() - 1; i >= 0; i--) {
      closeAtEnd.get(i).close();
    }
  }

  private Host host(Ed25519PrivateKey key) {
    try {
      Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
      closeAtEnd.add(h);
      return h;
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A compute node serving {@code runtime}; the client is connected to it. */
  private final class Node {
    final Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    final Host host = host(key);
    final ComputeProvider provider;

    Node(ComputeConfig config, InferenceRuntime... runtimes) throws Exception {
      provider = new ComputeProvider(key, List.of(runtimes), config, Clock.systemUTC(), () -> 11).register(host);
      closeAtEnd.add(provider);
      client.connect(host.listenAddrs().get(0).withPeerId(host.peerId())).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    PeerId peerId() {
      return host.peerId();
    }

    /** Waits until {@code n} jobs of the model are running or queued on the node. */
    void awaitAdmitted(Cid model, int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (provider.admitted(model) != n) {
        assertThat(System.nanoTime()).as("%d jobs admitted, expected %d", provider.admitted(model), n).isLessThan(deadline);
        Thread.sleep(5);
      }
    }
  }

  private static JobRequest job(String id, String input) {
    return new JobRequest(id, ReversingRuntime.MODEL, Task.COMPLETION, input.getBytes(StandardCharsets.UTF_8), Params.DEFAULT.withSeed(7));
  }

  private static Throwable failure(CompletableFuture<?> future) {
    Throwable t = catchThrowable(() -> future.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertThat(t).as("the job should have failed").isInstanceOf(ExecutionException.class);
    return t.getCause();
  }

  private static Code rejection(CompletableFuture<?> future) {
    Throwable cause = failure(future);
    assertThat(cause).isInstanceOf(JobRejectedException.class);
    return ((JobRejectedException) cause).code();
  }

  @Test
  void chunksThenAReceiptThatVerifies() throws Exception {
    Node node = new Node(ComputeConfig.DEFAULT, new ReversingRuntime(4));
    List<byte[]> chunks = new ArrayList<>();
    JobRequest request = job("j1", "hello, compute");
    JobResult result = compute.submit(node.peerId(), request, chunks::add, TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS);

    byte[] expected = ReversingRuntime.reverse(request.input());
    assertThat(result.output()).isEqualTo(expected);
    assertThat(chunks).hasSize(4);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    chunks.forEach(joined::writeBytes);
    assertThat(joined.toByteArray()).isEqualTo(expected);

    Receipt r = result.receipt();
    assertThat(r.verify()).isTrue();
    assertThat(r.node()).isEqualTo(node.peerId());
    assertThat(r.jobId()).isEqualTo("j1");
    assertThat(r.model()).isEqualTo(ReversingRuntime.MODEL);
    assertThat(r.inputHash()).isEqualTo(Receipt.sha256(request.input()));
    assertThat(r.paramsHash()).isEqualTo(Receipt.sha256(request.params().encode()));
    assertThat(r.outputHash()).isEqualTo(Receipt.sha256(expected));
    assertThat(r.usage()).isEqualTo(new Usage(14, 14));
    assertThat(r.epoch()).isEqualTo(11);
    assertThat(r.finishedMillis()).isGreaterThanOrEqualTo(r.startedMillis());
    // counted before the receipt went out
    assertThat(node.provider.jobCounts()).isEqualTo(new ComputeProvider.JobCounts(1, 28, 0));
  }

  @Test
  void largeOutputIsSplitIntoProtocolChunks() throws Exception {
    Node node = new Node(ComputeConfig.DEFAULT, new ReversingRuntime(1));
    String input = "x".repeat(ComputeMessage.MAX_CHUNK_SIZE * 2 + 10);
    AtomicInteger chunks = new AtomicInteger();
    JobResult result = compute.submit(node.peerId(), job("big", input), c -> chunks.incrementAndGet(), TIMEOUT)
        .get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(result.output()).hasSize(input.length());
    assertThat(chunks).hasValue(3);
  }

  @Test
  void capabilitiesListTheModelsAndFreeSlots() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(2, 1), runtime);
    List<ModelOffer> offers = compute.capabilities(node.peerId(), TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(offers).containsExactly(new ModelOffer(ReversingRuntime.MODEL, "reverse", Task.COMPLETION, 4096, 10, 2));

    runtime.hold();
    CompletableFuture<JobResult> running = compute.submit(node.peerId(), job("hold", "a"), c -> {}, TIMEOUT);
    runtime.started.take();
    assertThat(compute.capabilities(node.peerId(), TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS).get(0).freeSlots()).isEqualTo(1);
    runtime.release();
    running.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void aGatewayFindsTheNodeThroughTheDhtAndItsCapabilities() throws Exception {
    Node node = new Node(ComputeConfig.DEFAULT, new ReversingRuntime(1));
    KadDht nodeDht = new KadDht(node.host, KadConfig.builder().build()).start();
    closeAtEnd.add(nodeDht);
    // A gateway that is not connected yet, so both ends see each other's DHT protocol in identify.
    Host gateway = host(Ed25519PrivateKey.generate(new SecureRandom()));
    KadDht gatewayDht = new KadDht(gateway, KadConfig.builder().build()).start();
    closeAtEnd.add(gatewayDht);
    gatewayDht.bootstrap(List.of(node.host.listenAddrs().get(0).withPeerId(node.peerId()))).get(WAIT_SECONDS, TimeUnit.SECONDS);

    // The node learns of the gateway through identify, a moment after the bootstrap: until it has,
    // its announcement reaches no one, so announce again until the gateway finds the record.
    List<PeerId> providers = List.of();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!providers.contains(node.peerId()) && System.nanoTime() < deadline) {
      node.provider.announce(nodeDht).get(WAIT_SECONDS, TimeUnit.SECONDS);
      providers = gatewayDht.findProviders(ReversingRuntime.MODEL.multihash(), 8).get(WAIT_SECONDS, TimeUnit.SECONDS);
      if (!providers.contains(node.peerId())) {
        Thread.sleep(100);
      }
    }
    assertThat(providers).contains(node.peerId());
    assertThat(new ComputeClient(gateway).capabilities(node.peerId(), TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS))
        .extracting(ModelOffer::model).containsExactly(ReversingRuntime.MODEL);
  }

  @Test
  void busyAtOnceWhenSlotsAndQueueAreFull() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(1, 1), runtime);
    runtime.hold();
    CompletableFuture<JobResult> running = compute.submit(node.peerId(), job("running", "a"), c -> {}, TIMEOUT);
    assertThat(runtime.started.take()).isEqualTo("running");
    CompletableFuture<JobResult> queued = compute.submit(node.peerId(), job("queued", "b"), c -> {}, TIMEOUT);
    node.awaitAdmitted(ReversingRuntime.MODEL, 2);

    CompletableFuture<JobResult> refused = compute.submit(node.peerId(), job("refused", "c"), c -> {}, TIMEOUT);
    assertThat(rejection(refused)).isEqualTo(Code.BUSY);
    assertThat(running).as("BUSY came while every slot was still taken").isNotDone();
    assertThat(queued).isNotDone();

    runtime.release();
    assertThat(running.get(WAIT_SECONDS, TimeUnit.SECONDS).output()).isEqualTo("a".getBytes(StandardCharsets.UTF_8));
    assertThat(queued.get(WAIT_SECONDS, TimeUnit.SECONDS).output()).isEqualTo("b".getBytes(StandardCharsets.UTF_8));
    assertThat(runtime.started).containsExactly("queued");
  }

  @Test
  void clientCancellationFreesTheSlot() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(1, 0), runtime);
    runtime.hold();
    CompletableFuture<JobResult> first = compute.submit(node.peerId(), job("first", "a"), c -> {}, TIMEOUT);
    assertThat(runtime.started.take()).isEqualTo("first");

    first.cancel(true);
    assertThat(runtime.cancelled.take()).as("the runtime is told to stop").isEqualTo("first");
    node.awaitAdmitted(ReversingRuntime.MODEL, 0);

    runtime.release();
    JobResult second = compute.submit(node.peerId(), job("second", "xyz"), c -> {}, TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(second.output()).isEqualTo("zyx".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aQueuedJobCancelledByItsClientNeverRuns() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(1, 1), runtime);
    runtime.hold();
    CompletableFuture<JobResult> running = compute.submit(node.peerId(), job("running", "a"), c -> {}, TIMEOUT);
    assertThat(runtime.started.take()).isEqualTo("running");
    CompletableFuture<JobResult> queued = compute.submit(node.peerId(), job("queued", "b"), c -> {}, TIMEOUT);
    node.awaitAdmitted(ReversingRuntime.MODEL, 2);

    queued.cancel(true);
    node.awaitAdmitted(ReversingRuntime.MODEL, 1);
    runtime.release();
    running.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(compute.submit(node.peerId(), job("next", "c"), c -> {}, TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS).output())
        .isEqualTo("c".getBytes(StandardCharsets.UTF_8));
    assertThat(runtime.started).as("the cancelled job never reached the runtime").containsExactly("next");
  }

  @Test
  void aClientThatSendsNoRequestIsCutOff() throws Exception {
    Node node = new Node(ComputeConfig.DEFAULT.withRequestTimeout(Duration.ofMillis(200)), new ReversingRuntime(1));
    List<byte[]> replies = new ArrayList<>();
    Channel silent = client.newStream(node.peerId(), List.of(ComputeMessage.PROTOCOL_ID), (stream, p, c) ->
        stream.pipeline().addLast(new VarintFrameDecoder(ComputeMessage.MAX_FRAME_SIZE), new Collect(replies)))
        .get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(silent.closeFuture().await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the node resets the stream").isTrue();
    assertThat(replies).isEmpty();
  }

  @Test
  void clientTimeoutCancelsTheJobOnTheNode() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(1, 0), runtime);
    runtime.hold();
    CompletableFuture<JobResult> job = compute.submit(node.peerId(), job("slow", "a"), c -> {}, Duration.ofMillis(200));
    assertThat(failure(job)).isInstanceOf(java.util.concurrent.TimeoutException.class);
    assertThat(runtime.cancelled.take()).isEqualTo("slow");
    node.awaitAdmitted(ReversingRuntime.MODEL, 0);
  }

  @Test
  void nodeTimeoutAnswersTimeoutAndStopsTheRuntime() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withSlots(1, 0).withJobTimeout(Duration.ofMillis(200)), runtime);
    runtime.hold();
    CompletableFuture<JobResult> job = compute.submit(node.peerId(), job("overrun", "a"), c -> {}, TIMEOUT);
    assertThat(rejection(job)).isEqualTo(Code.TIMEOUT);
    assertThat(runtime.cancelled.take()).isEqualTo("overrun");
    node.awaitAdmitted(ReversingRuntime.MODEL, 0);
  }

  @Test
  void unknownModelAndWrongTaskAreRefused() throws Exception {
    Node node = new Node(ComputeConfig.DEFAULT, new ReversingRuntime(1));
    Cid other = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "other".getBytes(StandardCharsets.UTF_8));
    JobRequest unknown = new JobRequest("u", other, Task.COMPLETION, new byte[] {1}, Params.DEFAULT);
    assertThat(rejection(compute.submit(node.peerId(), unknown, c -> {}, TIMEOUT))).isEqualTo(Code.UNKNOWN_MODEL);
    JobRequest embedding = new JobRequest("e", ReversingRuntime.MODEL, Task.EMBEDDING, new byte[] {1}, Params.DEFAULT);
    assertThat(rejection(compute.submit(node.peerId(), embedding, c -> {}, TIMEOUT))).isEqualTo(Code.BAD_REQUEST);
    assertThat(node.provider.jobCounts()).isEqualTo(new ComputeProvider.JobCounts(0, 0, 2));
  }

  @Test
  void oversizedFrameResetsTheStreamAndTheNodeServesOn() throws Exception {
    ReversingRuntime runtime = new ReversingRuntime(1);
    Node node = new Node(ComputeConfig.DEFAULT.withMaxFrameSize(4096), runtime);
    CompletableFuture<JobResult> tooBig = compute.submit(node.peerId(), job("big", "y".repeat(5000)), c -> {}, TIMEOUT);
    assertThat(failure(tooBig)).isNotInstanceOf(JobRejectedException.class).isNotInstanceOf(java.util.concurrent.TimeoutException.class);
    assertThat(runtime.started).isEmpty();

    // A raw frame that only announces its size: refused before the body arrives.
    List<byte[]> replies = new ArrayList<>();
    Channel raw = client.newStream(node.peerId(), List.of(ComputeMessage.PROTOCOL_ID), (stream, p, c) ->
        stream.pipeline().addLast(new VarintFrameDecoder(ComputeMessage.MAX_FRAME_SIZE), new Collect(replies)))
        .get(WAIT_SECONDS, TimeUnit.SECONDS);
    raw.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) 0x89, (byte) 0x40, 1, 2, 3})); // uvarint 8201
    raw.closeFuture().await(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(raw.isOpen()).isFalse();
    assertThat(replies).isEmpty();

    assertThat(compute.submit(node.peerId(), job("after", "ok"), c -> {}, TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS).output())
        .isEqualTo("ko".getBytes(StandardCharsets.UTF_8));
  }

  // --- a node that lies: the client must notice ------------------------------------------------

  @Test
  void honestFakeNodePassesSoTheTamperTestsMeanSomething() throws Exception {
    Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    Host fake = lyingNode(key, (request, output) -> receipt(key, request, output));
    JobResult result = compute.submit(fake.peerId(), job("j", "abc"), c -> {}, TIMEOUT).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(result.output()).isEqualTo("cba".getBytes(StandardCharsets.UTF_8));
  }

  /** How a lying node makes its receipt from its key, the job and the output it sent. */
  private interface Lie {
    Receipt make(Ed25519PrivateKey key, JobRequest request, byte[] output);
  }

  @Test
  void tamperedReceiptsAndChunksFailVerification() throws Exception {
    Ed25519PrivateKey stranger = Ed25519PrivateKey.generate(new SecureRandom());
    List<Lie> lies = List.of(
        // the chunks sent are not the output the receipt hashes
        (key, request, output) -> receipt(key, request, "cbX".getBytes(StandardCharsets.UTF_8)),
        // signed by another node
        (key, request, output) -> receipt(stranger, request, output),
        // another job
        (key, request, output) -> receipt(key, job("other", "abc"), output),
        // another model
        (key, request, output) -> receipt(key, new JobRequest(request.jobId(), Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[1]),
            request.task(), request.input(), request.params()), output),
        // another input
        (key, request, output) -> receipt(key, job(request.jobId(), "abd"), output),
        // another seed
        (key, request, output) -> receipt(key, new JobRequest(request.jobId(), request.model(), request.task(), request.input(),
            request.params().withSeed(8)), output),
        // a bit flipped in the signature
        (key, request, output) -> {
          Receipt r = receipt(key, request, output);
          byte[] sig = r.signature().clone();
          sig[0] ^= 1;
          return r.withSignature(sig);
        },
        // usage inflated after signing
        (key, request, output) -> {
          Receipt r = receipt(key, request, output);
          return new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), new Usage(1000, 1000), r.node(),
              r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature());
        });
    for (int i = 0; i < lies.size(); i++) {
      Lie lie = lies.get(i);
      Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
      Host fake = lyingNode(key, (request, output) -> lie.make(key, request, output));
      Throwable cause = failure(compute.submit(fake.peerId(), job("j", "abc"), c -> {}, TIMEOUT));
      assertThat(cause).as("lie %d", i).isInstanceOf(InvalidReceiptException.class);
    }
  }

  private static Receipt receipt(Ed25519PrivateKey key, JobRequest request, byte[] output) {
    return Receipt.sign(key, request, Receipt.sha256(output), new Usage(3, 3), 1, 10, 20);
  }

  /** A host speaking the protocol by hand: sends the reversed input as one chunk, then whatever receipt {@code receipt} makes. */
  private Host lyingNode(Ed25519PrivateKey key, BiFunction<JobRequest, byte[], Receipt> receipt) throws Exception {
    Host fake = host(key);
    fake.registerProtocol(ComputeMessage.PROTOCOL_ID, (stream, protocol, connection) -> stream.pipeline().addLast(
        new VarintFrameDecoder(ComputeMessage.MAX_FRAME_SIZE), VarintFrameEncoder.INSTANCE, new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            byte[] bytes;
            try {
              bytes = ByteBufUtil.getBytes(frame);
            } finally {
              frame.release();
            }
            JobRequest request = ((ComputeMessage.Job) ComputeCodec.decode(bytes)).request();
            byte[] output = ReversingRuntime.reverse(request.input());
            ctx.write(Unpooled.wrappedBuffer(ComputeCodec.encode(new ComputeMessage.Chunk(output))));
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ComputeCodec.encode(new ComputeMessage.Done(receipt.apply(request, output)))))
                .addListener(ChannelFutureListener.CLOSE);
          }
        }));
    client.connect(fake.listenAddrs().get(0).withPeerId(fake.peerId())).get(WAIT_SECONDS, TimeUnit.SECONDS);
    return fake;
  }

  private static final class Collect extends ChannelInboundHandlerAdapter {
    private final List<byte[]> frames;

    Collect(List<byte[]> frames) {
      this.frames = frames;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      try {
        frames.add(ByteBufUtil.getBytes(frame));
      } finally {
        frame.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

}
