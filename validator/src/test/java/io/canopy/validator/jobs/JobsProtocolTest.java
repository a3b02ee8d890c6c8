package io.canopy.validator.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.job.ReceiptLog;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import io.canopy.validator.compute.JobRecord;
import io.canopy.validator.compute.VerificationException;
import io.canopy.validator.compute.VerificationFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /canopy/jobs/1.0.0} over real hosts on 127.0.0.1: a gateway serving its job log hands a
 * validator exactly one epoch's records, in order, over several pages; forged records are set aside
 * with their reason while the rest are accepted; bad requests are refused and the gateway goes on
 * serving.
 */
class JobsProtocolTest {
  private static final Ed25519PrivateKey NODE = key(1);
  private static final Ed25519PrivateKey GATEWAY = key(2);
  private static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "m".getBytes(StandardCharsets.UTF_8));
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private final List<Host> hosts = new ArrayList<>();
  private final ExecutorService worker = Executors.newFixedThreadPool(2);

  @AfterEach
  void close() {
    hosts.forEach(Host::close);
    worker.shutdownNow();
  }

  private static Ed25519PrivateKey key(int n) {
    byte[] seed = new byte[32];
    new Random(n).nextBytes(seed);
    return Ed25519PrivateKey.fromSeed(seed);
  }

  /** Job {@code i} of {@code epoch}: an exact completion, or, with an output, a non-exact embedding that keeps it. */
  private static JobRecord record(int i, long epoch, byte[] output) {
    boolean kept = output != null;
    JobRequest job = new JobRequest("job-" + epoch + "-" + i, MODEL, kept ? Task.EMBEDDING : Task.COMPLETION,
        ("input " + i).getBytes(StandardCharsets.UTF_8), Params.DEFAULT);
    byte[] outputHash = Receipt.sha256(kept ? output : ("out " + i).getBytes(StandardCharsets.UTF_8));
    Receipt receipt = Receipt.sign(NODE, job, outputHash, new Usage(3, 4), epoch, 1000, 1000 + i, !kept);
    return JobRecord.accept(CountersignedReceipt.sign(GATEWAY, receipt, "alice", 2000 + i), job, output);
  }

  private static byte[] random(int size, int seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private Host host(Ed25519PrivateKey key) throws Exception {
    Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    hosts.add(h);
    return h;
  }

  /** A validator host connected to {@code gateway}. */
  private Host validatorOf(Host gateway, Ed25519PrivateKey key) throws Exception {
    Host v = host(key);
    v.connect(gateway.listenAddrs().get(0).withPeerId(gateway.peerId())).get(10, TimeUnit.SECONDS);
    return v;
  }

  /** A gateway serving {@code source} to the validator with key 3 only. */
  private Host gateway(JobSource source) throws Exception {
    Host g = host(GATEWAY);
    g.registerProtocol(JobsService.PROTOCOL_ID, new JobsService(source, key(3).peerId()::equals, worker).handler());
    return g;
  }

  private static JobSource listed(List<JobRecord> records) {
    return (epoch, from, max) -> records.subList(Math.min(from, records.size()), (int) Math.min(records.size(), (long) from + max));
  }

  private static JobsClient.Fetched fetch(Host validator, Host gateway, long epoch) throws Exception {
    return JobsClient.fetch(validator, gateway.peerId(), epoch).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aValidatorGetsExactlyTheEpochsRecordsInOrderOverSeveralPages() throws Exception {
    List<JobRecord> epoch5 = new ArrayList<>();
    List<JobRecord> epoch6 = new ArrayList<>();
    List<JobRecord> large = List.of(record(0, 7, random(3 << 20, 1)), record(1, 7, random(3 << 20, 2)), record(2, 7, random(3 << 20, 3)));
    JobRecord overPageSize = record(0, 9, random(9 << 20, 4));
    AtomicInteger reads = new AtomicInteger();
    try (ReceiptLog log = ReceiptLog.open(tmp.resolve("receipts.log"))) {
      for (int i = 0; i < 420; i++) { // the epochs interleave in the log, as when epoch 6 starts while 5's jobs still finish
        JobRecord r = record(i, i % 3 == 2 ? 6 : 5, null);
        (r.receipt().epoch() == 5 ? epoch5 : epoch6).add(r);
        append(log, r);
      }
      for (JobRecord r : large) {
        append(log, r);
      }
      append(log, overPageSize);
      JobSource fromLog = JobSource.fromLog(log);
      Host gateway = gateway((epoch, from, max) -> {
        reads.incrementAndGet();
        return fromLog.records(epoch, from, max);
      });
      Host validator = validatorOf(gateway, key(3));

      JobsClient.Fetched fetched = fetch(validator, gateway, 5);
      assertThat(fetched.rejected()).isEmpty();
      assertThat(fetched.accepted()).hasSize(280).containsExactlyElementsOf(epoch5);
      assertThat(reads.getAndSet(0)).as("pages for 280 records").isEqualTo(2);

      assertThat(fetch(validator, gateway, 6).accepted()).containsExactlyElementsOf(epoch6);
      assertThat(reads.getAndSet(0)).isEqualTo(1);

      JobsClient.Fetched big = fetch(validator, gateway, 7);
      assertThat(big.accepted()).containsExactlyElementsOf(large);
      assertThat(big.accepted().get(2).output()).isEqualTo(large.get(2).output());
      assertThat(reads.getAndSet(0)).as("8 MiB per page: two 3 MiB records, then the third").isEqualTo(2);

      assertThat(fetch(validator, gateway, 9).accepted()).as("a record over the page size travels alone").containsExactly(overPageSize);
      assertThat(fetch(validator, gateway, 8).accepted()).isEmpty();
    }
  }

  private static void append(ReceiptLog log, JobRecord r) throws Exception {
    log.append(new ReceiptLog.Entry(r.countersigned(), r.job(), r.output()));
  }

  @Test
  void forgedRecordsAreDroppedWithTheirReasonAndTheRestAccepted() throws Exception {
    List<JobRecord> served = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      served.add(record(i, 3, i == 5 ? random(1000, 5) : null));
    }
    CountersignedReceipt cs = served.get(3).countersigned();
    served.set(3, new JobRecord(new CountersignedReceipt(cs.receipt(), cs.gateway(), "mallory", cs.countersignedMillis(), cs.signature()),
        served.get(3).job()));
    JobRequest job = served.get(6).job();
    served.set(6, new JobRecord(served.get(6).countersigned(),
        new JobRequest(job.jobId(), job.model(), job.task(), "another input".getBytes(StandardCharsets.UTF_8), job.params())));
    JobRecord five = served.get(5);
    byte[] otherOutput = five.output().clone();
    otherOutput[0] ^= 1;
    served.add(new JobRecord(five.countersigned(), five.job(), otherOutput));
    Host gateway = gateway(listed(served));
    Host validator = validatorOf(gateway, key(3));

    JobsClient.Fetched fetched = fetch(validator, gateway, 3);

    List<JobRecord> honest = new ArrayList<>(served.subList(0, 10));
    honest.remove(6);
    honest.remove(3);
    assertThat(fetched.accepted()).containsExactlyElementsOf(honest);
    assertThat(fetched.rejected()).extracting(JobsClient.Rejected::index, JobsClient.Rejected::failure).containsExactly(
        Tuple.tuple(3, VerificationFailure.BAD_COUNTERSIGNATURE),
        Tuple.tuple(6, VerificationFailure.INPUT_HASH_MISMATCH),
        Tuple.tuple(10, VerificationFailure.OUTPUT_HASH_MISMATCH));
    assertThat(fetched.rejected().get(0).toString()).startsWith("record 3: BAD_COUNTERSIGNATURE").contains("job-3-3");
  }

  @Test
  void recordsThatDoNotDecodeAreDroppedNotFatal() throws Exception {
    JobRecord good = record(0, 1, null);
    byte[] whole = good.encode();
    Host liar = host(key(7)); // a gateway that sends whatever bytes it likes
    liar.registerProtocol(JobsService.PROTOCOL_ID, UnaryRpc.serve(JobsMessage.MAX_REQUEST, WAIT, (c, request) ->
        CompletableFuture.completedFuture(JobsCodec.encode(new JobsMessage.Page(
            List.of(whole, "garbage".getBytes(StandardCharsets.UTF_8), Arrays.copyOf(whole, whole.length - 1)), new byte[0])))));
    Host validator = validatorOf(liar, key(3));

    JobsClient.Fetched fetched = fetch(validator, liar, 1);

    assertThat(fetched.accepted()).containsExactly(good);
    assertThat(fetched.rejected()).extracting(JobsClient.Rejected::index).containsExactly(1, 2);
    assertThat(fetched.rejected()).allSatisfy(r -> {
      assertThat(r.failure()).isEqualTo(VerificationFailure.MALFORMED);
      assertThat(r.reason()).contains("does not decode");
    });
  }

  @Test
  void badRequestsAreRefusedWithAReasonAndTheGatewayGoesOnServing() throws Exception {
    List<JobRecord> records = List.of(record(0, 2, null), record(1, 2, null));
    Host gateway = gateway(listed(records));
    Host validator = validatorOf(gateway, key(3));

    assertThat(refusal(validator, gateway, new byte[] {(byte) 0xff, (byte) 0xff, 0x01})).startsWith("malformed request");
    assertThat(refusal(validator, gateway, new byte[0])).contains("no body");
    assertThat(refusal(validator, gateway, JobsCodec.encode(new JobsMessage.Refused("no")))).isEqualTo("expected a request");
    assertThat(refusal(validator, gateway, JobsCodec.encode(new JobsMessage.Request(2, new byte[] {1, 2, 3})))).contains("cursor");
    // Past the 1 KiB frame limit the gateway closes the stream before decoding anything: no answer.
    byte[] oversized = JobsCodec.encode(new JobsMessage.Request(2, new byte[2048]));
    assertThatThrownBy(() -> UnaryRpc.call(validator, gateway.peerId(), JobsService.PROTOCOL_ID, oversized, JobsMessage.MAX_REPLY,
        Duration.ofSeconds(2)).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);

    assertThat(fetch(validator, gateway, 2).accepted()).containsExactlyElementsOf(records);

    Host stranger = validatorOf(gateway, key(8));
    assertThatThrownBy(() -> fetch(stranger, gateway, 2)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("refused").hasMessageContaining("validators only");
  }

  private static byte[] call(Host validator, Host gateway, byte[] request) throws Exception {
    return UnaryRpc.call(validator, gateway.peerId(), JobsService.PROTOCOL_ID, request, JobsMessage.MAX_REPLY, WAIT)
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static String refusal(Host validator, Host gateway, byte[] request) throws Exception {
    JobsMessage reply = JobsCodec.decode(call(validator, gateway, request));
    assertThat(reply).isInstanceOf(JobsMessage.Refused.class);
    return ((JobsMessage.Refused) reply).reason();
  }

  @Test
  void aJobRecordRoundTripsAndBadBytesAreMalformed() {
    JobRecord exact = record(0, 4, null);
    JobRecord kept = record(1, 4, random(5000, 9));
    assertThat(JobRecord.decode(exact.encode())).isEqualTo(exact);
    assertThat(JobRecord.decode(exact.encode()).output()).isNull();
    assertThat(JobRecord.decode(kept.encode())).isEqualTo(kept);
    assertThat(kept.encode()).isEqualTo(new ReceiptLog.Entry(kept.countersigned(), kept.job(), kept.output()).encode());

    byte[] whole = kept.encode();
    for (byte[] bad : List.of(Arrays.copyOf(whole, whole.length / 2), Arrays.copyOf(whole, whole.length - 1),
        "garbage".getBytes(StandardCharsets.UTF_8), new byte[0], new byte[JobRecord.MAX_SIZE + 1])) {
      assertThatThrownBy(() -> JobRecord.decode(bad)).isInstanceOf(VerificationException.class)
          .hasMessageStartingWith("MALFORMED: job record does not decode: ")
          .satisfies(e -> assertThat(((VerificationException) e).failure()).isEqualTo(VerificationFailure.MALFORMED));
    }
    assertThatThrownBy(() -> JobRecord.decode(new byte[0])).hasMessageContaining("lacks");
    assertThatThrownBy(() -> JobRecord.decode(new byte[JobRecord.MAX_SIZE + 1])).hasMessageContaining("exceeds");
  }
}
