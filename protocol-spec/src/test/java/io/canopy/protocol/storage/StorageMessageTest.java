package io.canopy.protocol.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StorageMessageTest {
  private static final Ed25519PrivateKey OWNER = Ed25519PrivateKey.fromSeed(new byte[32]);
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Cid ROOT = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "hello".getBytes(StandardCharsets.UTF_8));
  private static final Deal DEAL = new Deal("d1", OWNER.peerId(), ROOT, 5, 3, 1_000, 61_000, 7);

  @Test
  void everyMessageRoundTrips() {
    byte[] signature = DEAL.sign(OWNER);
    List<StorageMessage> messages = List.of(
        new StorageMessage.CapacityRequest(),
        new StorageMessage.Capacity(1L << 40, 12345),
        new StorageMessage.Propose(DEAL, signature, List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/" + OWNER.peerId()))),
        new StorageMessage.Check("d1"),
        new StorageMessage.Holding(HoldingAck.sign(NODE, "d1", ROOT, 42)),
        StorageMessage.Release.sign(OWNER, "d1"),
        new StorageMessage.Released("d1"),
        new StorageMessage.Rejected(StorageMessage.Code.NO_ROOM, "only 3 bytes free"));
    for (StorageMessage m : messages) {
      byte[] encoded = StorageCodec.encode(m);
      StorageMessage decoded = StorageCodec.decode(encoded);
      assertThat(decoded.getClass()).isEqualTo(m.getClass());
      assertThat(StorageCodec.encode(decoded)).as(m.toString()).isEqualTo(encoded);
    }
  }

  @Test
  void dealSignatureIsTheOwnersAndCoversEveryField() {
    byte[] signature = DEAL.sign(OWNER);
    assertThat(DEAL.verify(signature)).isTrue();
    Deal moreReplicas = new Deal("d1", OWNER.peerId(), ROOT, 5, 4, 1_000, 61_000, 7);
    assertThat(moreReplicas.verify(signature)).isFalse();
    Deal forged = new Deal("d1", NODE.peerId(), ROOT, 5, 3, 1_000, 61_000, 7);
    assertThat(forged.verify(NODE.sign(DEAL.encode()))).as("a signature without the domain prefix").isFalse();
    assertThatThrownBy(() -> DEAL.sign(NODE)).hasMessageContaining("only the owner");
  }

  @Test
  void holdingAckVerifiesOnlyUntouched() {
    HoldingAck ack = HoldingAck.sign(NODE, "d1", ROOT, 42);
    assertThat(HoldingAck.decode(ack.encode()).verify()).isTrue();
    HoldingAck later = new HoldingAck("d1", ROOT, NODE.peerId(), 43, ack.signature());
    assertThat(later.verify()).isFalse();
    HoldingAck otherNode = new HoldingAck("d1", ROOT, OWNER.peerId(), 42, ack.signature());
    assertThat(otherNode.verify()).isFalse();
  }

  @Test
  void releaseSignedByTheOwnerOnly() {
    StorageMessage.Release release = StorageMessage.Release.sign(OWNER, "d1");
    assertThat(release.verify(OWNER.peerId())).isTrue();
    assertThat(release.verify(NODE.peerId())).isFalse();
    assertThat(new StorageMessage.Release("d2", release.ownerSignature()).verify(OWNER.peerId())).isFalse();
  }

  @Test
  void dealRulesAreChecked() {
    assertThatThrownBy(() -> new Deal("d", OWNER.peerId(), ROOT, 1, 0, 0, 1, 0)).hasMessageContaining("replicas");
    assertThatThrownBy(() -> new Deal("d", OWNER.peerId(), ROOT, 1, 1, 5, 5, 0)).hasMessageContaining("end after");
    assertThatThrownBy(() -> new Deal("", OWNER.peerId(), ROOT, 1, 1, 0, 1, 0)).hasMessageContaining("id");
  }

  @Test
  void aReplicaCountNoIntHoldsIsRefusedNotWrapped() {
    byte[] deal = new Deal("d", OWNER.peerId(), ROOT, 1, 3, 0, 1, 0).encode();
    // a later field 5 of 2^63 + 5 replaces the 3; cast to an int it would read as 5
    byte[] huge = new io.canopy.protobuf.ProtoWriter().varint(5, Long.MIN_VALUE + 5).toByteArray();
    byte[] bytes = java.util.Arrays.copyOf(deal, deal.length + huge.length);
    System.arraycopy(huge, 0, bytes, deal.length, huge.length);
    assertThatThrownBy(() -> Deal.decode(bytes)).isInstanceOf(StorageMessageException.class)
        .hasMessageContaining("replicas must be 1..64, got 9223372036854775813");
  }

  @Test
  void malformedInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> StorageCodec.decode(new byte[0])).hasMessageContaining("no body");
    byte[] two = concat(StorageCodec.encode(new StorageMessage.Check("a")), StorageCodec.encode(new StorageMessage.Check("b")));
    assertThatThrownBy(() -> StorageCodec.decode(two)).hasMessageContaining("more than one body");
    assertThatThrownBy(() -> StorageCodec.decode(new byte[StorageMessage.MAX_SIZE + 1])).hasMessageContaining("exceeds");
    byte[] manySources = StorageCodec.encode(new StorageMessage.Propose(DEAL, new byte[64],
        Collections.nCopies(StorageMessage.MAX_SOURCES, Multiaddr.parse("/ip4/1.2.3.4/tcp/1"))));
    assertThat(StorageCodec.decode(manySources)).isInstanceOf(StorageMessage.Propose.class);
    Random random = new Random(7);
    for (int i = 0; i < 5000; i++) {
      byte[] garbage = new byte[random.nextInt(64)];
      random.nextBytes(garbage);
      try {
        StorageCodec.decode(garbage);
      } catch (StorageMessageException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * A reason over MAX_REASON_LENGTH chars is cut; the cut must not split a surrogate pair, whose
   * lone high half would be re-encoded as '?' (noticed while writing ProtocolSpecDecodersFuzzTest).
   */
  @Test
  void aLongRejectionReasonIsCutBetweenCharactersNotInsideOne() {
    String reason = "a".repeat(StorageMessage.MAX_REASON_LENGTH - 1) + "\uD83C\uDF33" + "b";
    StorageMessage.Rejected r = new StorageMessage.Rejected(StorageMessage.Code.BUSY, reason);
    assertThat(r.reason()).isEqualTo("a".repeat(StorageMessage.MAX_REASON_LENGTH - 1));
    assertThat(StorageCodec.decode(StorageCodec.encode(r))).isEqualTo(r);
  }
}
