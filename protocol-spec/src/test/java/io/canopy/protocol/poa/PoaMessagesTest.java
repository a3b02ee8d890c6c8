package io.canopy.protocol.poa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.FlatJson;
import io.canopy.protocol.epoch.Beacon;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PoaMessagesTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Map<String, String> V = FlatJson.resource("/vectors/poa/challenge.json");
  private static final Ed25519PrivateKey VALIDATOR = Ed25519PrivateKey.fromSeed(HEX.parseHex(V.get("validator_key_seed_hex")));
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.fromSeed(HEX.parseHex(V.get("node_key_seed_hex")));
  private static final Beacon BEACON = Beacon.of(HEX.parseHex(V.get("beacon_hex")));

  private static long[] vectorOffsets() {
    return Arrays.stream(V.get("offsets").split(",")).mapToLong(Long::parseLong).toArray();
  }

  private static Challenge vectorChallenge() {
    return Challenge.sign(VALIDATOR, Long.parseLong(V.get("epoch")), V.get("deal_id"), Cid.fromBytes(HEX.parseHex(V.get("root_cid_hex"))),
        NODE.peerId(), Long.parseLong(V.get("file_size")), vectorOffsets(), Long.parseLong(V.get("issued_ms")),
        Long.parseLong(V.get("deadline_ms")));
  }

  @Test
  void offsetsVectorIsReproduced() {
    assertThat(VALIDATOR.peerId().toString()).isEqualTo(V.get("validator_peer_id"));
    assertThat(NODE.peerId().toString()).isEqualTo(V.get("node_peer_id"));
    assertThat(HEX.formatHex(ChallengeDerivation.seed(BEACON, V.get("deal_id"), NODE.peerId()))).isEqualTo(V.get("seed_hex"));
    long[] offsets = ChallengeDerivation.offsets(BEACON, V.get("deal_id"), NODE.peerId(), Long.parseLong(V.get("file_size")),
        Integer.parseInt(V.get("k")));
    assertThat(offsets).containsExactly(vectorOffsets());
    // A one-byte file: every draw is byte 0 (§5.2.2); an empty file: no draws.
    assertThat(ChallengeDerivation.offsets(BEACON, V.get("deal_id"), NODE.peerId(), 1, 3)).containsExactly(0, 0, 0);
    assertThat(ChallengeDerivation.offsets(BEACON, V.get("deal_id"), NODE.peerId(), 0, 20)).isEmpty();
    // Another deal, node or beacon draws other offsets.
    assertThat(ChallengeDerivation.offsets(BEACON, "deal-2", NODE.peerId(), 1_000_000, 20)).isNotEqualTo(offsets);
    assertThat(ChallengeDerivation.offsets(BEACON, V.get("deal_id"), VALIDATOR.peerId(), 1_000_000, 20)).isNotEqualTo(offsets);
  }

  @Test
  void challengeVectorIsReproducedAndVerifies() {
    Challenge c = vectorChallenge();
    assertThat(HEX.formatHex(c.signedBytes())).isEqualTo(V.get("challenge_signed_bytes_hex"));
    assertThat(HEX.formatHex(c.signature())).isEqualTo(V.get("challenge_signature_hex"));
    assertThat(HEX.formatHex(c.encode())).isEqualTo(V.get("challenge_hex"));
    assertThat(HEX.formatHex(PoaCodec.encode(new PoaMessage.ChallengeRequest(c)))).isEqualTo(V.get("challenge_message_hex"));

    PoaMessage decoded = PoaCodec.decode(HEX.parseHex(V.get("challenge_message_hex")), 20);
    assertThat(decoded).isInstanceOf(PoaMessage.ChallengeRequest.class);
    Challenge fromWire = ((PoaMessage.ChallengeRequest) decoded).challenge();
    assertThat(fromWire).isEqualTo(c);
    assertThat(fromWire.verify()).isTrue();
    assertThat(fromWire.validator()).isEqualTo(VALIDATOR.peerId());
    assertThat(fromWire.offsets()).containsExactly(vectorOffsets());
  }

  @Test
  void verdictVectorIsReproducedAndVerifies() {
    Verdict v = Verdict.sign(VALIDATOR, Long.parseLong(V.get("epoch")), V.get("deal_id"), NODE.peerId(),
        Verdict.Result.valueOf(V.get("verdict_result")), V.get("verdict_reason"), Long.parseLong(V.get("verdict_proof_bytes")),
        Long.parseLong(V.get("verdict_verify_us")));
    assertThat(HEX.formatHex(v.signedBytes())).isEqualTo(V.get("verdict_signed_bytes_hex"));
    assertThat(HEX.formatHex(v.signature())).isEqualTo(V.get("verdict_signature_hex"));
    assertThat(HEX.formatHex(v.encode())).isEqualTo(V.get("verdict_hex"));
    Verdict fromWire = Verdict.decode(HEX.parseHex(V.get("verdict_hex")));
    assertThat(fromWire).isEqualTo(v);
    assertThat(fromWire.verify()).isTrue();
  }

  @Test
  void forgedOrAlteredSignaturesDoNotVerify() {
    Challenge c = vectorChallenge();
    // Another key signs as if it were the validator: the signature is not the validator's.
    byte[] forged = NODE.sign(c.signedBytes());
    Challenge forgedChallenge = new Challenge(c.epoch(), c.dealId(), c.root(), c.node(), c.fileSize(), c.offsets(), c.issuedMillis(),
        c.deadlineMillis(), c.validator(), forged);
    assertThat(forgedChallenge.verify()).isFalse();
    // A replay into another epoch keeps the old signature, which then covers other bytes.
    Challenge replayed = new Challenge(c.epoch() + 5, c.dealId(), c.root(), c.node(), c.fileSize(), c.offsets(), c.issuedMillis(),
        c.deadlineMillis(), c.validator(), c.signature());
    assertThat(replayed.verify()).isFalse();

    Verdict v = Verdict.sign(VALIDATOR, 3, "d", NODE.peerId(), Verdict.Result.FAIL, "x", 1, 1);
    Verdict flipped = new Verdict(3, "d", NODE.peerId(), VALIDATOR.peerId(), Verdict.Result.PASS, "x", 1, 1, v.signature());
    assertThat(flipped.verify()).isFalse();
    // A challenge signature is never a verdict signature: the domains differ.
    assertThat(new Verdict(3, "d", NODE.peerId(), VALIDATOR.peerId(), Verdict.Result.PASS, "", 0, 0, c.signature()).verify()).isFalse();
  }

  @Test
  void proofAndRefusalRoundTrip() {
    Random random = new Random(7);
    for (int i = 0; i < 50; i++) {
      int n = 1 + random.nextInt(10);
      List<ProofBlock> blocks = new java.util.ArrayList<>();
      for (int b = 0; b < n; b++) {
        byte[] data = new byte[random.nextInt(2000)];
        random.nextBytes(data);
        blocks.add(new ProofBlock(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, data), data));
      }
      Proof p = new Proof(blocks);
      PoaMessage m = PoaCodec.decode(PoaCodec.encode(new PoaMessage.ProofReply(p)), 1);
      assertThat(((PoaMessage.ProofReply) m).proof()).isEqualTo(p);
    }
    PoaMessage r = PoaCodec.decode(PoaCodec.encode(new PoaMessage.Refused(PoaMessage.Code.WRONG_EPOCH, "epoch 3")), 1);
    assertThat(r).isEqualTo(new PoaMessage.Refused(PoaMessage.Code.WRONG_EPOCH, "epoch 3"));
  }

  @Test
  void truncatedAndMalformedBytesAreRejectedWithAReason() {
    byte[] message = HEX.parseHex(V.get("challenge_message_hex"));
    for (int cut = 0; cut < message.length; cut++) {
      byte[] truncated = Arrays.copyOf(message, cut);
      assertThatThrownBy(() -> PoaCodec.decode(truncated, 20)).isInstanceOf(PoaMessageException.class);
    }
    Random random = new Random(11);
    for (int i = 0; i < 500; i++) {
      byte[] junk = new byte[random.nextInt(64)];
      random.nextBytes(junk);
      try {
        PoaCodec.decode(junk, 20);
      } catch (PoaMessageException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
    // Two bodies, an offset outside the file, too many offsets, an oversized proof.
    byte[] two = concat(message, PoaCodec.encode(new PoaMessage.Refused(PoaMessage.Code.INTERNAL, "")));
    assertThatThrownBy(() -> PoaCodec.decode(two, 20)).hasMessageContaining("more than one body");
    Challenge c = vectorChallenge();
    assertThatThrownBy(() -> Challenge.sign(VALIDATOR, 1, "d", c.root(), c.node(), 10, new long[] {10}, 1, 2))
        .hasMessageContaining("outside the file");
    assertThatThrownBy(() -> Challenge.sign(VALIDATOR, 1, "d", c.root(), c.node(), 10, new long[65], 1, 2))
        .hasMessageContaining("at most 64 offsets");
    byte[] big = new byte[Proof.MAX_BLOCK_SIZE + 1];
    byte[] proof = new Proof(List.of(new ProofBlock(c.root(), big))).encode();
    assertThatThrownBy(() -> Proof.decode(proof, Proof.maxSize(1), Proof.maxBlocks(1))).hasMessageContaining("exceeds");
    assertThatThrownBy(() -> Proof.decode(proof, 1000, 10)).hasMessageContaining("exceeds the limit");
  }

  @Test
  void deadlineFormula() {
    DeadlineRule rule = DeadlineRule.DEFAULT;
    assertThat(rule.allowanceMillis(0)).isEqualTo(2_000);
    assertThat(rule.allowanceMillis(4L * 1024 * 1024)).isEqualTo(3_000);
    assertThat(rule.allowanceMillis(5L * 1024 * 1024 + 1)).isEqualTo(3_251); // rounded up
    assertThat(rule.inTime(3_000, 4L * 1024 * 1024)).isTrue();
    assertThat(rule.inTime(3_001, 4L * 1024 * 1024)).isFalse();
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
  void aLongRefusalOrVerdictReasonIsCutBetweenCharactersNotInsideOne() {
    String reason = "a".repeat(PoaMessage.MAX_REASON_LENGTH - 1) + "\uD83C\uDF33" + "b";
    PoaMessage.Refused r = new PoaMessage.Refused(PoaMessage.Code.INTERNAL, reason);
    assertThat(r.reason()).isEqualTo("a".repeat(PoaMessage.MAX_REASON_LENGTH - 1));
    assertThat(PoaCodec.decode(PoaCodec.encode(r), 1)).isEqualTo(r);
    Verdict v = Verdict.sign(VALIDATOR, 3, "d", NODE.peerId(), Verdict.Result.FAIL, reason, 1, 1);
    assertThat(v.reason()).isEqualTo("a".repeat(Verdict.MAX_REASON_LENGTH - 1));
    assertThat(Verdict.decode(v.encode()).reason()).isEqualTo(v.reason());
    assertThat(Verdict.decode(v.encode()).verify()).isTrue();
  }
}
