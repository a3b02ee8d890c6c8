package io.canopy.p2p.kad;

import io.canopy.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Signed records, /pk/ records, and the record and provider stores, by plain calls. */
class KadRecordsTest {
  private static final Ed25519PrivateKey ALICE = Ed25519PrivateKey.fromSeed(new byte[32]);
  private static final Ed25519PrivateKey MALLORY = Ed25519PrivateKey.fromSeed(filled(7));
  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
  private final RecordValidation validation = new RecordValidation(
      Map.of("pk", new PublicKeyRecordValidator(), "canopy", new SignedRecordValidator()), 10 * 1024);

  private static byte[] filled(int b) {
    byte[] out = new byte[32];
    java.util.Arrays.fill(out, (byte) b);
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void signedRecordsVerifyForAnyPayloadAndSequence() {
    RandomInputs.forAll(30L, 100, List.of(), r -> new Object[] {RandomInputs.nonNegativeLong(r), RandomInputs.bytes(r, 2000)},
        a -> a[0] + " " + RandomInputs.hex((byte[]) a[1]), a -> {
          SignedRecord rec = SignedRecord.sign(ALICE, "capacity", (Long) a[0], (byte[]) a[1]);
          SignedRecord back = SignedRecord.verify(rec.key(), rec.encode());
          assertThat(back.sequence()).isEqualTo(a[0]);
          assertThat(back.payload()).isEqualTo((byte[]) a[1]);
          assertThat(back.author()).isEqualTo(ALICE.peerId());
        });
  }

  @Test
  void anyFlippedBitOfTheEnvelopeIsRefused() {
    SignedRecord rec = SignedRecord.sign(ALICE, "capacity", 5, utf8("12 TiB"));
    byte[] value = rec.encode();
    for (int bit = 0; bit < value.length * 8; bit++) {
      byte[] forged = value.clone();
      forged[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThatThrownBy(() -> validation.validate(rec.key(), forged)).as("bit %d", bit).isInstanceOf(InvalidRecordException.class);
    }
  }

  @Test
  void aRecordUnderSomeoneElsesNameOrAnotherNameIsRefused() {
    SignedRecord byMallory = SignedRecord.sign(MALLORY, "capacity", 9, utf8("fake"));
    assertThatThrownBy(() -> validation.validate(SignedRecord.key(ALICE.peerId(), "capacity"), byMallory.encode()))
        .hasMessageContaining("not the key of " + ALICE.peerId());
    SignedRecord other = SignedRecord.sign(ALICE, "other", 1, utf8("x"));
    assertThatThrownBy(() -> validation.validate(SignedRecord.key(ALICE.peerId(), "capacity"), other.encode()))
        .hasMessageContaining("signature");
  }

  /**
   * Found by P2pDecodersFuzzTest (crash-signed-record-under-non-canonical-key): a record its author
   * signed under a key naming it in CID form, or with a name that is not UTF-8, verified, and the
   * record read back named another key ({@code /canopy/12D3…/} plus U+FFFD for a 0xbb name).
   */
  @Test
  void aRecordSignedUnderANonCanonicalKeyIsRefused() {
    String peer = ALICE.peerId().toString();
    byte[] badUtf8Name = java.util.Arrays.copyOf(utf8("/canopy/" + peer + "/"), ("/canopy/" + peer + "/").length() + 1);
    badUtf8Name[badUtf8Name.length - 1] = (byte) 0xbb;
    byte[] cidAuthor = utf8("/canopy/" + ALICE.peerId().toCidString(io.canopy.multiformats.Multibase.BASE36) + "/capacity");
    for (byte[] key : List.of(badUtf8Name, cidAuthor)) {
      byte[] value = signedUnder(ALICE, key, 3, utf8("12 TiB"));
      assertThatThrownBy(() -> validation.validate(key, value))
          .isInstanceOf(InvalidRecordException.class)
          .hasMessageContaining("canonical form");
    }
    byte[] canonical = SignedRecord.key(ALICE.peerId(), "capacity");
    assertThat(SignedRecord.verify(canonical, signedUnder(ALICE, canonical, 3, utf8("12 TiB"))).key()).isEqualTo(canonical);
  }

  /** The envelope {@code identity} signs for {@code key}, whatever the key's form (SignedRecord.sign writes only canonical ones). */
  private static byte[] signedUnder(Ed25519PrivateKey identity, byte[] key, long sequence, byte[] payload) {
    byte[] body = new io.canopy.protobuf.ProtoWriter().bytes(1, key).varint(2, sequence).bytes(3, payload).toByteArray();
    byte[] signed = java.util.Arrays.copyOf(SignedRecord.DOMAIN, SignedRecord.DOMAIN.length + body.length);
    System.arraycopy(body, 0, signed, SignedRecord.DOMAIN.length, body.length);
    return new io.canopy.protobuf.ProtoWriter().bytes(1, identity.publicKey().toProtobuf()).varint(2, sequence).bytes(3, payload)
        .bytes(4, identity.sign(signed)).toByteArray();
  }

  @Test
  void selectTakesTheHighestSequenceAndTheEarliestOnATie() {
    byte[] key = SignedRecord.key(ALICE.peerId(), "n");
    byte[] s1 = SignedRecord.sign(ALICE, "n", 1, utf8("a")).encode();
    byte[] s3 = SignedRecord.sign(ALICE, "n", 3, utf8("b")).encode();
    byte[] s3b = SignedRecord.sign(ALICE, "n", 3, utf8("c")).encode();
    assertThat(validation.select(key, List.of(s1, s3, s3b))).isEqualTo(1);
    assertThat(validation.select(key, List.of(s3b, s1, s3))).isZero();
  }

  @Test
  void recordStoreRefusesStaleAndEqualSequencesButAcceptsTheSameBytesAgain() {
    RecordStore store = new RecordStore(validation, 10, Duration.ofHours(36), clock);
    byte[] key = SignedRecord.key(ALICE.peerId(), "n");
    byte[] v2 = SignedRecord.sign(ALICE, "n", 2, utf8("two")).encode();
    store.put(key, v2);
    store.put(key, v2);
    assertThatThrownBy(() -> store.put(key, SignedRecord.sign(ALICE, "n", 1, utf8("one")).encode())).hasMessageContaining("not newer");
    assertThatThrownBy(() -> store.put(key, SignedRecord.sign(ALICE, "n", 2, utf8("two'")).encode())).hasMessageContaining("not newer");
    byte[] v3 = SignedRecord.sign(ALICE, "n", 3, utf8("three")).encode();
    store.put(key, v3);
    assertThat(store.get(key)).hasValueSatisfying(r -> assertThat(r.value()).isEqualTo(v3));
    clock.advance(Duration.ofHours(37));
    assertThat(store.get(key)).isEmpty();
  }

  @Test
  void recordStoreIsBoundedAndRefusesUnknownNamespacesAndBigValues() {
    RecordStore store = new RecordStore(validation, 2, Duration.ofHours(1), clock);
    for (String name : List.of("a", "b")) {
      store.put(SignedRecord.key(ALICE.peerId(), name), SignedRecord.sign(ALICE, name, 1, new byte[0]).encode());
    }
    assertThatThrownBy(() -> store.put(SignedRecord.key(ALICE.peerId(), "c"), SignedRecord.sign(ALICE, "c", 1, new byte[0]).encode()))
        .hasMessageContaining("full");
    assertThatThrownBy(() -> store.put(utf8("/ipns/x"), new byte[1])).hasMessageContaining("no validator for namespace /ipns/");
    assertThatThrownBy(() -> store.put(utf8("nonsense"), new byte[1])).hasMessageContaining("/namespace/");
    assertThatThrownBy(() -> validation.validate(SignedRecord.key(ALICE.peerId(), "big"),
        SignedRecord.sign(ALICE, "big", 1, new byte[11 * 1024]).encode())).hasMessageContaining("exceeds");
  }

  @Test
  void publicKeyRecordsMustHashToTheKeysPeerId() {
    byte[] key = concat(utf8("/pk/"), ALICE.peerId().toBytes());
    validation.validate(key, ALICE.publicKey().toProtobuf());
    assertThatThrownBy(() -> validation.validate(key, MALLORY.publicKey().toProtobuf())).hasMessageContaining("not of");
    assertThatThrownBy(() -> validation.validate(key, new byte[] {1, 2})).isInstanceOf(InvalidRecordException.class);
  }

  @Test
  void providerRecordsExpireAndAreBoundedPerKeyAndInTotal() {
    ProviderStore store = new ProviderStore(5, 2, Duration.ofMinutes(10), clock);
    Multihash a = Multihash.compute(Multicodec.SHA2_256, utf8("a"));
    Multihash b = Multihash.compute(Multicodec.SHA2_256, utf8("b"));
    PeerId p1 = ALICE.peerId();
    PeerId p2 = MALLORY.peerId();
    PeerId p3 = Ed25519PrivateKey.fromSeed(filled(3)).peerId();
    assertThat(store.add(a, p1)).isTrue();
    assertThat(store.add(a, p2)).isTrue();
    assertThat(store.add(a, p3)).as("third provider of one key").isFalse();
    clock.advance(Duration.ofMinutes(6));
    assertThat(store.add(a, p1)).as("renewal").isTrue();
    clock.advance(Duration.ofMinutes(6));
    assertThat(store.get(a)).containsExactly(p1); // p2's record was not renewed
    assertThat(store.add(a, p3)).isTrue();
    for (int i = 0; i < 4; i++) {
      store.add(Multihash.compute(Multicodec.SHA2_256, utf8("k" + i)), p1);
    }
    assertThat(store.add(b, p1)).as("store full").isFalse();
    clock.advance(Duration.ofMinutes(11));
    store.sweep();
    assertThat(store.size()).isZero();
    assertThat(store.add(b, p1)).isTrue();
  }

  @Test
  void addProviderIsTakenOnlyForTheSender() {
    PeerId alice = ALICE.peerId();
    PeerId mallory = MALLORY.peerId();
    ProviderStore providers = new ProviderStore(100, 10, Duration.ofHours(1), clock);
    RecordStore records = new RecordStore(validation, 10, Duration.ofHours(1), clock);
    PeerDirectory dir = new PeerDirectory() {
      @Override
      public List<io.canopy.multiaddr.Multiaddr> addrs(PeerId peer) {
        return List.of();
      }

      @Override
      public boolean isConnected(PeerId peer) {
        return false;
      }

      @Override
      public void addAddrs(PeerId peer, List<io.canopy.multiaddr.Multiaddr> addrs) {}
    };
    KadRequestHandler handler = new KadRequestHandler(new RoutingTable(Ed25519PrivateKey.fromSeed(filled(9)).peerId(), 20), providers, records, dir);
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, utf8("content"));
    KadMessage add = new KadMessage(KadMessage.Type.ADD_PROVIDER, mh.toBytes(), null, List.of(),
        List.of(new KadPeer(alice, List.of()), new KadPeer(mallory, List.of())), 0);
    assertThat(handler.handle(mallory, add)).isNull();
    assertThat(providers.get(mh)).containsExactly(mallory);
    KadMessage get = handler.handle(alice, KadMessage.request(KadMessage.Type.GET_PROVIDERS, mh.toBytes()));
    assertThat(get.providerPeers()).extracting(KadPeer::id).containsExactly(mallory);
    assertThatThrownBy(() -> handler.handle(alice, KadMessage.request(KadMessage.Type.GET_PROVIDERS, new byte[] {(byte) 0xff})))
        .isInstanceOf(KadProtocolException.class).hasMessageContaining("neither a multihash nor a CID");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
