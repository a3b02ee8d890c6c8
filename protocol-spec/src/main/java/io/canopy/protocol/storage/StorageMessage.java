package io.canopy.protocol.storage;

import io.canopy.identity.DomainSignatures;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The messages of {@code /canopy/storage/1.0.0} (spec/storage.md): one request and one reply per
 * stream, each a varint-length-prefixed protobuf {@code StorageMessage} with exactly one body.
 */
public sealed interface StorageMessage {
  String PROTOCOL_ID = "/canopy/storage/1.0.0";
  /** Largest encoded message (a proposal with its sources is well under 8 KiB). */
  int MAX_SIZE = 16 * 1024;
  int MAX_SOURCES = 16;
  int MAX_REASON_LENGTH = 1024;

  /** "How much room do you have?" */
  record CapacityRequest() implements StorageMessage {}

  /** Bytes offered for deals, and bytes already committed to deals held or being fetched. */
  record Capacity(long capacityBytes, long committedBytes) implements StorageMessage {
    public long freeBytes() {
      return Math.max(0, capacityBytes - committedBytes);
    }
  }

  /** "Hold this deal": the deal, the owner's signature over it, and peers to fetch the DAG from. */
  record Propose(Deal deal, byte[] ownerSignature, List<Multiaddr> sources) implements StorageMessage {
    public Propose {
      Objects.requireNonNull(deal, "deal");
      Objects.requireNonNull(ownerSignature, "ownerSignature");
      sources = List.copyOf(sources);
      if (sources.size() > MAX_SOURCES) {
        throw new StorageMessageException("at most " + MAX_SOURCES + " sources, got " + sources.size());
      }
    }
  }

  /** "Do you still hold this deal?" Answered with a fresh {@link Holding} or a {@link Rejected}. */
  record Check(String dealId) implements StorageMessage {
    public Check {
      Objects.requireNonNull(dealId, "dealId");
    }
  }

  /** The node holds the deal: its signed acknowledgement. */
  record Holding(HoldingAck ack) implements StorageMessage {
    public Holding {
      Objects.requireNonNull(ack, "ack");
    }
  }

  /** The owner ends the deal early; signed so nobody else can. */
  record Release(String dealId, byte[] ownerSignature) implements StorageMessage {
    private static final byte[] SIGNING_DOMAIN = "canopy-release-v1".getBytes(StandardCharsets.US_ASCII);

    public Release {
      Objects.requireNonNull(dealId, "dealId");
      Objects.requireNonNull(ownerSignature, "ownerSignature");
    }

    public static Release sign(io.canopy.identity.Ed25519PrivateKey owner, String dealId) {
      return new Release(dealId, owner.sign(DomainSignatures.withDomain(SIGNING_DOMAIN, dealId.getBytes(StandardCharsets.UTF_8))));
    }

    public boolean verify(io.canopy.identity.PeerId owner) {
      return DomainSignatures.verify(owner, DomainSignatures.withDomain(SIGNING_DOMAIN, dealId.getBytes(StandardCharsets.UTF_8)), ownerSignature);
    }
  }

  /** The deal is no longer held. */
  record Released(String dealId) implements StorageMessage {}

  /** The request was refused or failed; {@code reason} is for humans, {@code code} for programs. */
  record Rejected(Code code, String reason) implements StorageMessage {
    public Rejected {
      Objects.requireNonNull(code, "code");
      // Cut at MAX_REASON_LENGTH chars, but not between the two halves of a surrogate pair: a lone
      // half encodes as '?', so the reason would change when it is re-encoded and read again.
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH
          ? reason.substring(0, MAX_REASON_LENGTH - (Character.isHighSurrogate(reason.charAt(MAX_REASON_LENGTH - 1)) ? 1 : 0))
          : reason;
    }
  }

  enum Code {
    /** Not a storage node, or the request is not one a node answers. */
    UNSUPPORTED(0),
    /** Accepting the deal would exceed the room the node offers. */
    NO_ROOM(1),
    /** The deal is malformed, expired, or its signature is not the owner's. */
    BAD_DEAL(2),
    /** The DAG could not be fetched or verified in time; nothing was pinned. */
    FETCH_FAILED(3),
    /** The node does not hold (or no longer holds) the deal. */
    NOT_HOLDING(4),
    /** The node is at its limit of deals being fetched at once; try another. */
    BUSY(5),
    /** Something failed on the node (e.g. its disk); the reason says what. */
    INTERNAL(6);

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

  // --- codec --------------------------------------------------------------------------------

  static byte[] encode(StorageMessage message) {
    ProtoWriter w = new ProtoWriter();
    if (message instanceof CapacityRequest) {
      w.message(1, new ProtoWriter());
    } else if (message instanceof Capacity c) {
      w.message(2, new ProtoWriter().varint(1, c.capacityBytes()).varint(2, c.committedBytes()));
    } else if (message instanceof Propose p) {
      ProtoWriter body = new ProtoWriter().bytes(1, p.deal().encode()).bytes(2, p.ownerSignature());
      p.sources().forEach(a -> body.bytes(3, a.toBytes()));
      w.message(3, body);
    } else if (message instanceof Check c) {
      w.message(4, new ProtoWriter().string(1, c.dealId()));
    } else if (message instanceof Holding h) {
      w.bytes(5, h.ack().encode());
    } else if (message instanceof Release r) {
      w.message(6, new ProtoWriter().string(1, r.dealId()).bytes(2, r.ownerSignature()));
    } else if (message instanceof Released r) {
      w.message(7, new ProtoWriter().string(1, r.dealId()));
    } else if (message instanceof Rejected r) {
      w.message(8, new ProtoWriter().varint(1, r.code().wire).string(2, r.reason()));
    }
    return w.toByteArray();
  }

  static StorageMessage decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new StorageMessageException("storage message of " + bytes.length + " bytes exceeds " + MAX_SIZE);
    }
    try {
      return ProtoReader.oneof(bytes, "storage message", r -> switch (r.field()) {
        case 1 -> {
          r.bytes();
          yield new CapacityRequest();
        }
        case 2 -> decodeCapacity(r.bytes());
        case 3 -> decodePropose(r.bytes());
        case 4 -> new Check(singleString(r.bytes()));
        case 5 -> new Holding(HoldingAck.decode(r.bytes()));
        case 6 -> decodeRelease(r.bytes());
        case 7 -> new Released(singleString(r.bytes()));
        case 8 -> decodeRejected(r.bytes());
        default -> {
          r.skip();
          yield null;
        }
      }, StorageMessageException::new);
    } catch (RuntimeException e) {
      throw StorageMessageException.malformed("storage message", e);
    }
  }

  private static Capacity decodeCapacity(byte[] bytes) {
    long capacity = 0;
    long committed = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> capacity = r.varint();
        case 2 -> committed = r.varint();
        default -> r.skip();
      }
    }
    return new Capacity(capacity, committed);
  }

  private static Propose decodePropose(byte[] bytes) {
    Deal deal = null;
    byte[] signature = null;
    List<Multiaddr> sources = new ArrayList<>();
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> deal = Deal.decode(r.bytes());
        case 2 -> signature = r.bytes();
        case 3 -> {
          if (sources.size() == MAX_SOURCES) {
            throw new StorageMessageException("at most " + MAX_SOURCES + " sources");
          }
          sources.add(Multiaddr.fromBytes(r.bytes()));
        }
        default -> r.skip();
      }
    }
    if (deal == null || signature == null) {
      throw new StorageMessageException("proposal lacks its deal or the owner's signature");
    }
    return new Propose(deal, signature, sources);
  }

  private static Release decodeRelease(byte[] bytes) {
    String id = null;
    byte[] signature = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> id = r.string();
        case 2 -> signature = r.bytes();
        default -> r.skip();
      }
    }
    if (id == null || signature == null) {
      throw new StorageMessageException("release lacks its deal id or signature");
    }
    return new Release(id, signature);
  }

  private static Rejected decodeRejected(byte[] bytes) {
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
    return new Rejected(Code.of(code), reason);
  }

  private static String singleString(byte[] bytes) {
    String s = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      if (r.field() == 1) {
        s = r.string();
      } else {
        r.skip();
      }
    }
    if (s == null || s.isEmpty() || s.length() > Deal.MAX_ID_LENGTH) {
      throw new StorageMessageException("missing or invalid deal id");
    }
    return s;
  }
}
