package io.canopy.protocol.poa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.storage.Deal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The held-deals members of {@code PoaMessage} (spec/proofs.md §5.6): round trips, limits, garbage. */
class DealsMessagesTest {
  private static final Ed25519PrivateKey OWNER = Ed25519PrivateKey.fromSeed(seed(1));
  private static final Ed25519PrivateKey OTHER = Ed25519PrivateKey.fromSeed(seed(2));
  private static final Cid ROOT = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "root".getBytes(StandardCharsets.UTF_8));

  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  private static Deal deal(String id) {
    return new Deal(id, OWNER.peerId(), ROOT, 4096, 3, 1_000, 2_000_000, 7);
  }

  private static HeldDeal held(String id, long fileSize) {
    Deal d = deal(id);
    return new HeldDeal(d, d.sign(OWNER), fileSize);
  }

  @Test
  void requestsAndPagesRoundTrip() {
    for (String after : List.of("", "deal-7", "é-\uD83D\uDE00")) {
      PoaMessage m = PoaCodec.decode(PoaCodec.encode(new PoaMessage.DealsRequest(after)), 0);
      assertThat(m).isEqualTo(new PoaMessage.DealsRequest(after));
    }
    assertThat(new PoaMessage.DealsRequest(null).after()).isEmpty();

    List<HeldDeal> deals = List.of(held("a", 0), held("b", 1), held("c", 1L << 40));
    for (boolean more : new boolean[] {false, true}) {
      PoaMessage.Deals page = new PoaMessage.Deals(deals, more);
      PoaMessage m = PoaCodec.decode(PoaCodec.encode(page), 0);
      assertThat(m).isEqualTo(page);
      PoaMessage.Deals back = (PoaMessage.Deals) m;
      assertThat(back.more()).isEqualTo(more);
      assertThat(back.deals()).extracting(HeldDeal::fileSize).containsExactly(0L, 1L, 1L << 40);
      assertThat(back.deals()).allMatch(HeldDeal::verify);
    }
    PoaMessage empty = PoaCodec.decode(PoaCodec.encode(new PoaMessage.Deals(List.of(), false)), 0);
    assertThat(empty).isEqualTo(new PoaMessage.Deals(List.of(), false));
    // The size the node counts per deal is the size it adds to the encoded page.
    int counted = PoaMessage.Deals.OVERHEAD + deals.stream().mapToInt(PoaMessage.Deals::encodedSize).sum();
    assertThat(new PoaMessage.Deals(deals, true).encode()).hasSize(counted);
  }

  @Test
  void ownerSignatureMustVerifyOverTheDeal() {
    Deal d = deal("d");
    assertThat(new HeldDeal(d, d.sign(OWNER), 5).verify()).isTrue();
    // Signed by someone else, or over another price: not the owner's agreement.
    assertThat(new HeldDeal(d, OTHER.sign(d.encode()), 5).verify()).isFalse();
    Deal cheaper = new Deal("d", OWNER.peerId(), ROOT, 4096, 3, 1_000, 2_000_000, 1);
    assertThat(new HeldDeal(d, cheaper.sign(OWNER), 5).verify()).isFalse();
    assertThat(new HeldDeal(d, new byte[0], 5).verify()).isFalse();
    assertThat(new HeldDeal(d, new byte[7], 5).verify()).isFalse();
  }

  @Test
  void idsAreOrderedByTheirUtf8Bytes() {
    // UTF-16 order puts U+FFFD after U+1F600 (a surrogate pair); UTF-8 order puts it before.
    String replacement = "\uFFFD";
    String emoji = "\uD83D\uDE00";
    assertThat(replacement.compareTo(emoji)).isPositive();
    assertThat(PoaMessage.DealsRequest.ID_ORDER.compare(replacement, emoji)).isNegative();
    assertThat(new PoaMessage.DealsRequest(replacement).wants(emoji)).isTrue();
    assertThat(new PoaMessage.DealsRequest("b").wants("b")).isFalse();
    assertThat(new PoaMessage.DealsRequest("b").wants("ba")).isTrue();
    assertThat(PoaMessage.DealsRequest.first().wants("a")).isTrue();
  }

  @Test
  void overLimitPagesAreRefused() {
    byte[] one = held("x", 1).encode();
    ProtoWriter tooMany = new ProtoWriter();
    for (int i = 0; i <= PoaMessage.Deals.MAX_DEALS; i++) {
      tooMany.bytes(1, one);
    }
    byte[] manyMessage = new ProtoWriter().bytes(5, tooMany.toByteArray()).toByteArray();
    assertThatThrownBy(() -> PoaCodec.decode(manyMessage, 0)).isInstanceOf(PoaMessageException.class)
        .hasMessageContaining("more than 1000 deals");
    List<HeldDeal> thousandAndOne = new ArrayList<>();
    for (int i = 0; i <= PoaMessage.Deals.MAX_DEALS; i++) {
      thousandAndOne.add(held("d" + i, i));
    }
    assertThatThrownBy(() -> new PoaMessage.Deals(thousandAndOne, false)).hasMessageContaining("at most 1000 deals");
    // A full page of 1000 deals fits.
    PoaMessage.Deals full = new PoaMessage.Deals(thousandAndOne.subList(0, 1000), true);
    assertThat(((PoaMessage.Deals) PoaCodec.decode(PoaCodec.encode(full), 0)).deals()).hasSize(1000);
    assertThat(PoaCodec.encode(full).length).isLessThanOrEqualTo(PoaCodec.MAX_DEALS_REPLY_SIZE);

    // Over 1 MiB, whatever it holds.
    byte[] big = new ProtoWriter().bytes(5, new ProtoWriter().bytes(9, new byte[PoaMessage.Deals.MAX_BYTES]).toByteArray()).toByteArray();
    assertThatThrownBy(() -> PoaCodec.decode(big, 0)).isInstanceOf(PoaMessageException.class)
        .hasMessageContaining("exceeds the limit of " + PoaMessage.Deals.MAX_BYTES);

    // A cursor longer than any deal id.
    byte[] longAfter = new ProtoWriter().bytes(4, new ProtoWriter().string(1, "a".repeat(Deal.MAX_ID_LENGTH + 1)).toByteArray()).toByteArray();
    assertThatThrownBy(() -> PoaCodec.decode(longAfter, 0)).isInstanceOf(PoaMessageException.class).hasMessageContaining("at most 128");
    // The proof limits are unchanged.
    assertThat(PoaCodec.maxReplySize(20)).isEqualTo(Proof.maxSize(20) + 16);
  }

  @Test
  void garbageIsRefusedWithAClearReason() {
    // A held deal without its signature, with a deal that does not decode, with a negative size.
    byte[] noSignature = page(new ProtoWriter().bytes(1, deal("a").encode()).varint(3, 1).toByteArray());
    assertThatThrownBy(() -> PoaCodec.decode(noSignature, 0)).isInstanceOf(PoaMessageException.class)
        .hasMessageContaining("deal 0 of the page").hasMessageContaining("lacks its deal or owner signature");
    byte[] badDeal = page(new ProtoWriter().bytes(1, new byte[] {1, 2, 3}).bytes(2, new byte[64]).toByteArray());
    assertThatThrownBy(() -> PoaCodec.decode(badDeal, 0)).isInstanceOf(PoaMessageException.class)
        .hasMessageContaining("malformed held deal");
    byte[] negative = page(new ProtoWriter().bytes(1, deal("a").encode()).bytes(2, new byte[64]).varint(3, -5).toByteArray());
    assertThatThrownBy(() -> PoaCodec.decode(negative, 0)).isInstanceOf(PoaMessageException.class)
        .hasMessageContaining("file size must not be negative");
    byte[] notUtf8 = new ProtoWriter().bytes(4, new ProtoWriter().bytes(1, new byte[] {(byte) 0xC3, 0x28}).toByteArray()).toByteArray();
    assertThatThrownBy(() -> PoaCodec.decode(notUtf8, 0)).isInstanceOf(PoaMessageException.class).hasMessageContaining("UTF-8");
    // A request and a page at once.
    byte[] two = concat(PoaCodec.encode(PoaMessage.DealsRequest.first()), PoaCodec.encode(new PoaMessage.Deals(List.of(), false)));
    assertThatThrownBy(() -> PoaCodec.decode(two, 0)).hasMessageContaining("more than one body");

    // Every truncation of a real page, and random bytes inside the page, fail with a reason or decode.
    byte[] message = PoaCodec.encode(new PoaMessage.Deals(List.of(held("a", 3), held("b", 4)), true));
    for (int cut = 0; cut < message.length; cut++) {
      byte[] truncated = Arrays.copyOf(message, cut);
      assertThatThrownBy(() -> PoaCodec.decode(truncated, 0)).isInstanceOf(PoaMessageException.class)
          .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }
    Random random = new Random(5);
    for (int i = 0; i < 1000; i++) {
      byte[] junk = new byte[random.nextInt(200)];
      random.nextBytes(junk);
      byte[] wrapped = random.nextBoolean() ? page(junk) : new ProtoWriter().bytes(4, junk).toByteArray();
      try {
        PoaCodec.decode(wrapped, 0);
      } catch (PoaMessageException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
      byte[] flipped = message.clone();
      flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
      try {
        PoaMessage m = PoaCodec.decode(flipped, 0);
        assertThat(m).isNotNull();
      } catch (PoaMessageException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }

  private static byte[] page(byte[] heldDeal) {
    return new ProtoWriter().bytes(5, new ProtoWriter().bytes(1, heldDeal).toByteArray()).toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
