package io.canopy.protocol.poa;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.storage.Deal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The messages of {@code /canopy/poa/1.0.0} (spec/proofs.md §5.6): the validator writes one
 * {@link ChallengeRequest}, the node answers with one {@link ProofReply} or {@link Refused}; or
 * the validator writes one {@link DealsRequest} and the node answers with one page of the deals
 * it holds, {@link Deals}, or {@link Refused}.
 * <pre>
 * message PoaMessage {              // exactly one field is set
 *   bytes        challenge     = 1; // Challenge
 *   bytes        proof         = 2; // Proof
 *   Refused      refused       = 3; // { Code code = 1; string reason = 2; }
 *   DealsRequest deals_request = 4; // { string after = 1; }
 *   Deals        deals         = 5; // { repeated HeldDeal deal = 1; bool more = 2; }
 * }
 * </pre>
 */
public sealed interface PoaMessage {
  String PROTOCOL_ID = "/canopy/poa/1.0.0";
  int MAX_REASON_LENGTH = 1024;

  record ChallengeRequest(Challenge challenge) implements PoaMessage {
    public ChallengeRequest {
      Objects.requireNonNull(challenge, "challenge");
    }
  }

  record ProofReply(Proof proof) implements PoaMessage {
    public ProofReply {
      Objects.requireNonNull(proof, "proof");
    }
  }

  /**
   * Asks a node for the deals it holds whose id is strictly greater than {@code after} in UTF-8
   * byte order ({@link #ID_ORDER}); empty asks from the start. {@code after} is at most
   * {@link Deal#MAX_ID_LENGTH} characters.
   */
  record DealsRequest(String after) implements PoaMessage {
    /** Deal ids in the order of their UTF-8 bytes, compared unsigned (SQLite's BINARY order). */
    public static final Comparator<String> ID_ORDER = (a, b) ->
        Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    public DealsRequest {
      after = after == null ? "" : after;
      if (after.length() > Deal.MAX_ID_LENGTH) {
        throw new PoaMessageException("deals request: after is " + after.length() + " characters, at most "
            + Deal.MAX_ID_LENGTH);
      }
    }

    /** From the start. */
    public static DealsRequest first() {
      return new DealsRequest("");
    }

    /** Whether {@code dealId} comes after {@link #after} and so belongs to the answer. */
    public boolean wants(String dealId) {
      return ID_ORDER.compare(dealId, after) > 0;
    }
  }

  /**
   * One page of the deals a node holds, sorted by id ({@link DealsRequest#ID_ORDER}), at most
   * {@link #MAX_DEALS} deals and {@link #MAX_BYTES} bytes encoded; {@code more} says a further page
   * follows (ask again with the last id as {@code after}).
   */
  record Deals(List<HeldDeal> deals, boolean more) implements PoaMessage {
    /** Most deals in one page. */
    public static final int MAX_DEALS = 1_000;
    /** Largest encoded page (the Deals message, without the PoaMessage envelope). */
    public static final int MAX_BYTES = 1024 * 1024;

    public Deals {
      deals = List.copyOf(deals);
      if (deals.size() > MAX_DEALS) {
        throw new PoaMessageException("a deals page holds at most " + MAX_DEALS + " deals, got " + deals.size());
      }
    }

    public byte[] encode() {
      ProtoWriter w = new ProtoWriter(deals.size() * 256 + 8);
      for (HeldDeal d : deals) {
        w.bytes(1, d.encode());
      }
      return w.bool(2, more).toByteArray();
    }

    /** The bytes {@code deal} adds to an encoded page: its tag, length and body. */
    public static int encodedSize(HeldDeal deal) {
      int body = deal.encode().length;
      return 1 + varintSize(body) + body;
    }

    /** The bytes of an encoded page besides its deals ({@code more}). */
    public static final int OVERHEAD = 2;

    /** Decodes a page, refusing one over {@link #MAX_BYTES} bytes or {@link #MAX_DEALS} deals. */
    public static Deals decode(byte[] bytes) {
      if (bytes.length > MAX_BYTES) {
        throw new PoaMessageException("deals page of " + bytes.length + " bytes exceeds the limit of " + MAX_BYTES);
      }
      List<HeldDeal> out = new ArrayList<>();
      boolean more = false;
      ProtoReader r = new ProtoReader(bytes);
      try {
        while (r.next()) {
          switch (r.field()) {
            case 1 -> {
              if (out.size() == MAX_DEALS) {
                throw new PoaMessageException("deals page has more than " + MAX_DEALS + " deals");
              }
              byte[] body = r.bytes();
              try {
                out.add(HeldDeal.decode(body));
              } catch (PoaMessageException e) {
                throw new PoaMessageException("deal " + out.size() + " of the page: " + e.getMessage(), e);
              }
            }
            case 2 -> more = r.bool();
            default -> r.skip();
          }
        }
      } catch (RuntimeException e) {
        throw PoaMessageException.malformed("deals page", e);
      }
      return new Deals(out, more);
    }

    private static int varintSize(long v) {
      int n = 1;
      while ((v & ~0x7FL) != 0) {
        v >>>= 7;
        n++;
      }
      return n;
    }
  }

  /** The node will not answer; the validator records FAIL with this reason. */
  record Refused(Code code, String reason) implements PoaMessage {
    public Refused {
      Objects.requireNonNull(code, "code");
      // Cut at MAX_REASON_LENGTH chars, but not between the two halves of a surrogate pair: a lone
      // half encodes as '?', so the reason would change when it is re-encoded and read again.
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH
          ? reason.substring(0, MAX_REASON_LENGTH - (Character.isHighSurrogate(reason.charAt(MAX_REASON_LENGTH - 1)) ? 1 : 0))
          : reason;
    }
  }

  enum Code {
    /** The request does not decode. */
    MALFORMED(1),
    /** The challenge names another node. */
    WRONG_NODE(2),
    /** The validator's signature does not verify, or the stream's peer is not the validator or not in the validator set. */
    BAD_SIGNATURE(3),
    /** The challenge's epoch is not the current one ± 1: a replay. */
    WRONG_EPOCH(4),
    /** The node does not hold that deal (or not under that root), or lacks a block. */
    NOT_HOLDING(5),
    /** The root is not a UnixFS file (directories: spec §5.2.3, not served yet). */
    UNSUPPORTED(6),
    /** The proof would exceed the limit for its number of draws. */
    TOO_LARGE(7),
    /** Something failed on the node, or the challenge disagrees with the DAG it holds (e.g. the file size). */
    INTERNAL(8);

    final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    static Code of(long wire) {
      for (Code c : values()) {
        if (c.wire == wire) {
          return c;
        }
      }
      return INTERNAL;
    }
  }

  static byte[] encode(PoaMessage message) {
    ProtoWriter w = new ProtoWriter();
    if (message instanceof ChallengeRequest c) {
      w.bytes(1, c.challenge().encode());
    } else if (message instanceof ProofReply p) {
      w.bytes(2, p.proof().encode());
    } else if (message instanceof Refused r) {
      w.message(3, new ProtoWriter().varint(1, r.code().wire).string(2, r.reason()));
    } else if (message instanceof DealsRequest q) {
      w.message(4, new ProtoWriter().string(1, q.after()));
    } else if (message instanceof Deals d) {
      w.bytes(5, d.encode());
    }
    return w.toByteArray();
  }

  static PoaMessage decode(byte[] bytes, int maxDraws) {
    try {
      return ProtoReader.oneof(bytes, "poa message", r -> switch (r.field()) {
        case 1 -> new ChallengeRequest(Challenge.decode(r.bytes()));
        case 2 -> new ProofReply(Proof.decode(r.bytes(), Proof.maxSize(maxDraws), Proof.maxBlocks(maxDraws)));
        case 3 -> decodeRefused(r.bytes());
        case 4 -> decodeDealsRequest(r.bytes());
        case 5 -> Deals.decode(r.bytes());
        default -> {
          r.skip();
          yield null;
        }
      }, PoaMessageException::new);
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("poa message", e);
    }
  }

  private static DealsRequest decodeDealsRequest(byte[] bytes) {
    String after = "";
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      if (r.field() == 1) {
        after = r.string();
      } else {
        r.skip();
      }
    }
    return new DealsRequest(after);
  }

  private static Refused decodeRefused(byte[] bytes) {
    long code = Code.INTERNAL.wire;
    String reason = "";
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> code = r.varint();
        case 2 -> reason = r.string();
        default -> r.skip();
      }
    }
    return new Refused(Code.of(code), reason);
  }
}
