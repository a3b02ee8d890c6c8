package io.canopy.protocol.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ComputeMessageTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Ed25519PrivateKey OTHER = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "model".getBytes(StandardCharsets.UTF_8));
  private static final JobRequest REQUEST = new JobRequest("j1", MODEL, Task.CHAT,
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8),
      new Params(16, 0.5f, 0.95f, 20, -3, List.of("</s>")));
  private static final byte[] OUTPUT_HASH = Receipt.sha256("hello".getBytes(StandardCharsets.UTF_8));

  private static Receipt receipt() {
    return Receipt.sign(NODE, REQUEST, OUTPUT_HASH, new Usage(9, 2), 3, 1_000, 2_000);
  }

  @Test
  void receiptVectorIsReproducedAndVerifies() {
    Map<String, String> v = FlatJson.resource("/vectors/compute/receipt.json");
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(HEX.parseHex(v.get("key_seed_hex")));
    assertThat(key.peerId().toString()).isEqualTo(v.get("node_peer_id"));
    byte[] input = v.get("input_utf8").getBytes(StandardCharsets.UTF_8);
    byte[] output = v.get("output_utf8").getBytes(StandardCharsets.UTF_8);
    byte[] params = HEX.parseHex(v.get("params_hex"));
    assertThat(HEX.formatHex(Receipt.sha256(input))).isEqualTo(v.get("input_hash_hex"));
    assertThat(HEX.formatHex(Receipt.sha256(params))).isEqualTo(v.get("params_hash_hex"));
    assertThat(HEX.formatHex(Receipt.sha256(output))).isEqualTo(v.get("output_hash_hex"));

    Receipt signed = Receipt.sign(key, v.get("job_id"), Cid.parse(v.get("model_cid")), Receipt.sha256(input), Receipt.sha256(params),
        Receipt.sha256(output), new Usage(Long.parseLong(v.get("prompt_tokens")), Long.parseLong(v.get("completion_tokens"))),
        Long.parseLong(v.get("epoch")), Long.parseLong(v.get("started_ms")), Long.parseLong(v.get("finished_ms")),
        Boolean.parseBoolean(v.get("exact")));
    assertThat(HEX.formatHex(signed.signedBytes())).isEqualTo(v.get("signed_bytes_hex"));
    assertThat(HEX.formatHex(signed.signature())).isEqualTo(v.get("signature_hex"));
    assertThat(HEX.formatHex(signed.encode())).isEqualTo(v.get("receipt_hex"));
    assertThat(HEX.formatHex(ComputeCodec.encode(new ComputeMessage.Done(signed)))).isEqualTo(v.get("done_message_hex"));

    ComputeMessage decoded = ComputeCodec.decode(HEX.parseHex(v.get("done_message_hex")));
    assertThat(decoded).isInstanceOf(ComputeMessage.Done.class);
    Receipt fromWire = ((ComputeMessage.Done) decoded).receipt();
    assertThat(fromWire.verify()).isTrue();
    assertThat(fromWire.node()).isEqualTo(key.peerId());
    assertThat(fromWire.jobId()).isEqualTo(v.get("job_id"));
    assertThat(fromWire.usage()).isEqualTo(new Usage(4, 5));
    assertThat(fromWire.exact()).isTrue();
  }

  /** Field 13 is signed and always written, false included; absent reads as false; anything but 0 or 1 is malformed. */
  @Test
  void exactFlagIsSignedAndAlwaysWritten() {
    Receipt exact = receipt();
    Receipt inexact = Receipt.sign(NODE, REQUEST, OUTPUT_HASH, new Usage(9, 2), 3, 1_000, 2_000, false);
    assertThat(exact.exact()).isTrue();
    assertThat(inexact.exact()).isFalse();
    assertThat(inexact.verify()).isTrue();
    assertThat(inexact.toString()).contains("not exact");
    byte[] signed = inexact.signedBytes();
    assertThat(Arrays.copyOfRange(signed, signed.length - 2, signed.length)).containsExactly(0x68, 0x00);
    assertThat(Arrays.copyOf(signed, signed.length - 1)).isEqualTo(Arrays.copyOf(exact.signedBytes(), signed.length - 1));
    byte[] encoded = inexact.encode();
    assertThat(Arrays.copyOfRange(encoded, encoded.length - 2, encoded.length)).containsExactly(0x68, 0x00);

    Receipt decoded = Receipt.decode(encoded);
    assertThat(decoded.exact()).isFalse();
    assertThat(decoded.verify()).isTrue();
    assertThat(Receipt.decode(exact.encode()).exact()).isTrue();

    // The flag cannot be flipped after signing, either way.
    assertThat(new Receipt(inexact.jobId(), inexact.model(), inexact.inputHash(), inexact.paramsHash(), inexact.outputHash(),
        inexact.usage(), inexact.node(), inexact.epoch(), inexact.startedMillis(), inexact.finishedMillis(), inexact.signature(), true)
        .verify()).isFalse();
    assertThat(new Receipt(exact.jobId(), exact.model(), exact.inputHash(), exact.paramsHash(), exact.outputHash(),
        exact.usage(), exact.node(), exact.epoch(), exact.startedMillis(), exact.finishedMillis(), exact.signature(), false)
        .verify()).isFalse();

    // An exact receipt with field 13 stripped reads as not exact, and so no longer verifies.
    byte[] exactBytes = exact.encode();
    Receipt stripped = Receipt.decode(Arrays.copyOf(exactBytes, exactBytes.length - 2));
    assertThat(stripped.exact()).isFalse();
    assertThat(stripped.verify()).isFalse();

    byte[] two = exact.encode();
    two[two.length - 1] = 2;
    assertThatThrownBy(() -> Receipt.decode(two)).isInstanceOf(ComputeMessageException.class);
  }

  @Test
  void jobRequestVectorIsReproduced() {
    Map<String, String> v = FlatJson.resource("/vectors/compute/job-request.json");
    Params params = new Params(Integer.parseInt(v.get("max_tokens")), Float.parseFloat(v.get("temperature")),
        Float.parseFloat(v.get("top_p")), Integer.parseInt(v.get("top_k")), Long.parseLong(v.get("seed")), List.of(v.get("stop_0")));
    JobRequest request = new JobRequest(v.get("job_id"), Cid.parse(v.get("model_cid")), Task.valueOf(v.get("task")),
        v.get("input_utf8").getBytes(StandardCharsets.UTF_8), params);
    assertThat(HEX.formatHex(params.encode())).isEqualTo(v.get("params_hex"));
    assertThat(HEX.formatHex(request.encode())).isEqualTo(v.get("request_hex"));
    assertThat(HEX.formatHex(ComputeCodec.encode(new ComputeMessage.Job(request)))).isEqualTo(v.get("job_message_hex"));
    JobRequest decoded = ((ComputeMessage.Job) ComputeCodec.decode(HEX.parseHex(v.get("job_message_hex")))).request();
    assertThat(decoded.params()).isEqualTo(params);
    assertThat(decoded.input()).isEqualTo(request.input());
  }

  @Test
  void everyMessageRoundTrips() {
    List<ComputeMessage> messages = List.of(
        new ComputeMessage.CapabilityRequest(),
        new ComputeMessage.Capabilities(List.of(new ModelOffer(MODEL, "tiny", Task.COMPLETION, 2048, 12, 3),
            new ModelOffer(MODEL, "", Task.EMBEDDING, 256, 0, 0))),
        new ComputeMessage.Capabilities(List.of()),
        new ComputeMessage.Job(REQUEST),
        new ComputeMessage.Chunk("tok".getBytes(StandardCharsets.UTF_8)),
        new ComputeMessage.Chunk(new byte[0]),
        new ComputeMessage.Done(receipt()),
        new ComputeMessage.Rejected(ComputeMessage.Code.BUSY, "2 running, 4 queued"));
    for (ComputeMessage m : messages) {
      byte[] encoded = ComputeCodec.encode(m);
      ComputeMessage decoded = ComputeCodec.decode(encoded);
      assertThat(decoded.getClass()).isEqualTo(m.getClass());
      assertThat(ComputeCodec.encode(decoded)).as(m.toString()).isEqualTo(encoded);
    }
  }

  @Test
  void receiptSignatureCoversEveryField() {
    Receipt r = receipt();
    assertThat(r.verify()).isTrue();
    assertThat(Receipt.decode(r.encode()).verify()).isTrue();
    byte[] otherHash = Receipt.sha256(new byte[1]);
    List<Receipt> tampered = List.of(
        new Receipt("j2", r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[1]), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), otherHash, r.paramsHash(), r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), otherHash, r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), otherHash, r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), new Usage(9, 3), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), OTHER.peerId(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), r.node(), 4, r.startedMillis(), r.finishedMillis(), r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis() + 1, r.signature()),
        new Receipt(r.jobId(), r.model(), r.inputHash(), r.paramsHash(), r.outputHash(), r.usage(), r.node(), r.epoch(), r.startedMillis(), r.finishedMillis(), r.signature(), false));
    for (Receipt t : tampered) {
      assertThat(t.verify()).as(t.toString()).isFalse();
    }
    assertThat(r.withSignature(NODE.sign(Arrays.copyOfRange(r.signedBytes(), Receipt.SIGNING_DOMAIN.length(), r.signedBytes().length))).verify())
        .as("a signature without the domain prefix").isFalse();
    assertThat(r.withSignature(OTHER.sign(r.signedBytes())).verify()).as("signed by another key").isFalse();
  }

  @Test
  void limitsAreChecked() {
    assertThatThrownBy(() -> new JobRequest("", MODEL, Task.CHAT, new byte[0], Params.DEFAULT)).hasMessageContaining("job id");
    assertThatThrownBy(() -> new JobRequest("j", MODEL, Task.CHAT, new byte[JobRequest.MAX_INPUT_SIZE + 1], Params.DEFAULT))
        .hasMessageContaining("exceeds");
    assertThatThrownBy(() -> new Params(0, Float.NaN, 1f, 0, 0, List.of())).hasMessageContaining("temperature");
    assertThatThrownBy(() -> new Params(0, 0f, 0f, 0, 0, List.of())).hasMessageContaining("top_p");
    assertThatThrownBy(() -> new Params(-1, 0f, 1f, 0, 0, List.of())).hasMessageContaining("max_tokens");
    assertThatThrownBy(() -> new Params(0, 0f, 1f, 0, 0, Collections.nCopies(Params.MAX_STOP_SEQUENCES + 1, "x")))
        .hasMessageContaining("stop");
    assertThatThrownBy(() -> new ComputeMessage.Chunk(new byte[ComputeMessage.MAX_CHUNK_SIZE + 1])).hasMessageContaining("exceeds");
    assertThatThrownBy(() -> new ComputeMessage.Capabilities(Collections.nCopies(ComputeMessage.MAX_OFFERS + 1,
        new ModelOffer(MODEL, "m", Task.EMBEDDING, 1, 1, 1)))).hasMessageContaining("offers");
    assertThat(new ComputeMessage.Rejected(ComputeMessage.Code.INTERNAL, "x".repeat(5000)).reason()).hasSize(ComputeMessage.MAX_REASON_LENGTH);
    // The largest legal job fits in one frame.
    JobRequest largest = new JobRequest("j".repeat(JobRequest.MAX_JOB_ID_LENGTH), MODEL, Task.COMPLETION,
        new byte[JobRequest.MAX_INPUT_SIZE], new Params(1, 1f, 1f, 1, -1, Collections.nCopies(Params.MAX_STOP_SEQUENCES, "s".repeat(64))));
    assertThat(ComputeCodec.encode(new ComputeMessage.Job(largest)).length).isLessThanOrEqualTo(ComputeMessage.MAX_FRAME_SIZE);
  }

  @Test
  void malformedInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> ComputeCodec.decode(new byte[0])).hasMessageContaining("no body");
    byte[] chunk = ComputeCodec.encode(new ComputeMessage.Chunk(new byte[] {1}));
    assertThatThrownBy(() -> ComputeCodec.decode(concat(chunk, chunk))).hasMessageContaining("more than one body");
    assertThatThrownBy(() -> ComputeCodec.decode(new byte[ComputeMessage.MAX_FRAME_SIZE + 1])).hasMessageContaining("exceeds");
    // A job whose task is 0 (unset) or unknown.
    byte[] job = ComputeCodec.encode(new ComputeMessage.Job(REQUEST));
    byte[] noTask = ComputeCodec.encode(new ComputeMessage.Job(REQUEST));
    int taskTag = indexOfTaskField(noTask);
    noTask[taskTag + 1] = 9;
    assertThatThrownBy(() -> ComputeCodec.decode(noTask)).hasMessageContaining("task");
    // A receipt whose signature is cut short.
    byte[] done = ComputeCodec.encode(new ComputeMessage.Done(receipt()));
    byte[] truncated = Arrays.copyOf(done, done.length - 1);
    assertThatThrownBy(() -> ComputeCodec.decode(truncated)).isInstanceOf(ComputeMessageException.class);
    assertThat(ComputeCodec.decode(job)).isInstanceOf(ComputeMessage.Job.class);
  }

  /** Random bytes, and valid messages with random bytes flipped or cut: either a message or a ComputeMessageException, nothing else. */
  @Test
  void garbageNeverEscapesAsAnotherException() {
    List<byte[]> valid = List.of(
        ComputeCodec.encode(new ComputeMessage.Job(REQUEST)),
        ComputeCodec.encode(new ComputeMessage.Done(receipt())),
        ComputeCodec.encode(new ComputeMessage.Capabilities(List.of(new ModelOffer(MODEL, "tiny", Task.COMPLETION, 2048, 12, 3)))),
        ComputeCodec.encode(new ComputeMessage.Rejected(ComputeMessage.Code.TOO_LONG, "too long")));
    RandomInputs.forAll(6L, 4000, RandomInputs.edgeByteArrays(0, 64),
        random -> mutate(random, valid),
        RandomInputs::hex,
        bytes -> {
          try {
            ComputeMessage m = ComputeCodec.decode(bytes);
            // Whatever decodes re-encodes to a message that decodes to the same thing.
            assertThat(ComputeCodec.encode(ComputeCodec.decode(ComputeCodec.encode(m)))).isEqualTo(ComputeCodec.encode(m));
          } catch (ComputeMessageException expected) {
            assertThat(expected.getMessage()).isNotBlank();
          }
        });
  }

  private static byte[] mutate(SplittableRandom random, List<byte[]> valid) {
    if (random.nextInt(4) == 0) {
      return RandomInputs.bytes(random, 128);
    }
    byte[] out = valid.get(random.nextInt(valid.size())).clone();
    int flips = 1 + random.nextInt(3);
    for (int i = 0; i < flips; i++) {
      out[random.nextInt(out.length)] = (byte) random.nextInt(256);
    }
    return random.nextBoolean() ? out : Arrays.copyOf(out, random.nextInt(out.length + 1));
  }

  /** Offset of the task field's tag (field 3, varint: 0x18) inside an encoded Job message. */
  private static int indexOfTaskField(byte[] jobMessage) {
    for (int i = 2; i < jobMessage.length; i++) {
      if (jobMessage[i] == 0x18) {
        return i;
      }
    }
    throw new AssertionError("no task field");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * A reason over MAX_REASON_LENGTH chars is cut; the cut must not split a surrogate pair, whose
   * lone high half would be re-encoded as '?' (noticed while writing ProtocolSpecDecodersFuzzTest).
   */
  @Test
  void aLongRejectionReasonIsCutBetweenCharactersNotInsideOne() {
    String reason = "a".repeat(ComputeMessage.MAX_REASON_LENGTH - 1) + "\uD83C\uDF33" + "b";
    ComputeMessage.Rejected r = new ComputeMessage.Rejected(ComputeMessage.Code.BUSY, reason);
    assertThat(r.reason()).isEqualTo("a".repeat(ComputeMessage.MAX_REASON_LENGTH - 1));
    assertThat(ComputeCodec.decode(ComputeCodec.encode(r))).isEqualTo(r);
  }
}
