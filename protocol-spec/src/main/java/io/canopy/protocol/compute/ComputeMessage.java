package io.canopy.protocol.compute;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The messages of {@code /canopy/compute/1.0.0} (spec/compute.md §3.2): each a
 * varint-length-prefixed protobuf {@code ComputeMessage} with exactly one body. A stream carries
 * either a capability query and its answer, or one job and then its chunks and a {@link Done} or
 * a {@link Rejected}.
 */
public sealed interface ComputeMessage {
  String PROTOCOL_ID = "/canopy/compute/1.0.0";
  /** Largest frame either side accepts: a job with the largest input and its envelope. */
  int MAX_FRAME_SIZE = JobRequest.MAX_INPUT_SIZE + 16 * 1024;
  /** Largest output chunk; a node splits longer output. */
  int MAX_CHUNK_SIZE = 64 * 1024;
  int MAX_OFFERS = 64;
  int MAX_REASON_LENGTH = 1024;

  /** "What do you serve?" */
  record CapabilityRequest() implements ComputeMessage {}

  /** The models a node serves, with their free slots now. */
  record Capabilities(List<ModelOffer> offers) implements ComputeMessage {
    public Capabilities {
      offers = List.copyOf(offers);
      if (offers.size() > MAX_OFFERS) {
        throw new ComputeMessageException("at most " + MAX_OFFERS + " model offers, got " + offers.size());
      }
    }
  }

  /** "Run this job." */
  record Job(JobRequest request) implements ComputeMessage {
    public Job {
      Objects.requireNonNull(request, "request");
    }
  }

  /** The next piece of the output; the output is the concatenation of every chunk's bytes. */
  record Chunk(byte[] bytes) implements ComputeMessage {
    public Chunk {
      Objects.requireNonNull(bytes, "bytes");
      if (bytes.length > MAX_CHUNK_SIZE) {
        throw new ComputeMessageException("chunk of " + bytes.length + " bytes exceeds " + MAX_CHUNK_SIZE);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Chunk c && Arrays.equals(bytes, c.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Chunk[" + bytes.length + " bytes]";
    }
  }

  /** The job finished: the node's signed receipt. Nothing follows on the stream. */
  record Done(Receipt receipt) implements ComputeMessage {
    public Done {
      Objects.requireNonNull(receipt, "receipt");
    }
  }

  /** The job or query was refused or failed; {@code reason} is for humans, {@code code} for programs. */
  record Rejected(Code code, String reason) implements ComputeMessage {
    public Rejected {
      Objects.requireNonNull(code, "code");
      // Cut at MAX_REASON_LENGTH chars, but not between the two halves of a surrogate pair: a lone
      // half encodes as '?', so the reason would change when it is re-encoded and read again.
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH
          ? reason.substring(0, MAX_REASON_LENGTH - (Character.isHighSurrogate(reason.charAt(MAX_REASON_LENGTH - 1)) ? 1 : 0))
          : reason;
    }
  }

  /** Why a job did not finish (spec/compute.md §3.5). */
  enum Code {
    /** Unknown to this version; read as {@link #INTERNAL}. */
    INTERNAL(0),
    /** Every slot and queue place for the model is taken; answered at once, try another node. */
    BUSY(1),
    /** The node does not serve this model. */
    UNKNOWN_MODEL(2),
    /** The input or params are malformed or do not fit the model's task. */
    BAD_REQUEST(3),
    /** The input (or input plus max_tokens) exceeds the model's context length. */
    TOO_LONG(4),
    /** The job overran the node's time limit and was stopped. */
    TIMEOUT(5);

    final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    public int wire() {
      return wire;
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

  static byte[] encode(ComputeMessage message) {
    ProtoWriter w = new ProtoWriter();
    if (message instanceof CapabilityRequest) {
      w.message(1, new ProtoWriter());
    } else if (message instanceof Capabilities c) {
      ProtoWriter body = new ProtoWriter();
      c.offers().forEach(o -> body.bytes(1, o.encode()));
      w.message(2, body);
    } else if (message instanceof Job j) {
      w.bytes(3, j.request().encode());
    } else if (message instanceof Chunk c) {
      w.bytes(4, c.bytes());
    } else if (message instanceof Done d) {
      w.bytes(5, d.receipt().encode());
    } else if (message instanceof Rejected r) {
      w.message(6, new ProtoWriter().varint(1, r.code().wire).string(2, r.reason()));
    }
    return w.toByteArray();
  }

  static ComputeMessage decode(byte[] bytes) {
    if (bytes.length > MAX_FRAME_SIZE) {
      throw new ComputeMessageException("compute message of " + bytes.length + " bytes exceeds " + MAX_FRAME_SIZE);
    }
    try {
      return ProtoReader.oneof(bytes, "compute message", r -> switch (r.field()) {
        case 1 -> {
          r.bytes();
          yield new CapabilityRequest();
        }
        case 2 -> decodeCapabilities(r.bytes());
        case 3 -> new Job(JobRequest.decode(r.bytes()));
        case 4 -> new Chunk(r.bytes());
        case 5 -> new Done(Receipt.decode(r.bytes()));
        case 6 -> decodeRejected(r.bytes());
        default -> {
          r.skip();
          yield null;
        }
      }, ComputeMessageException::new);
    } catch (RuntimeException e) {
      throw ComputeMessageException.malformed("compute message", e);
    }
  }

  private static Capabilities decodeCapabilities(byte[] bytes) {
    List<ModelOffer> offers = new ArrayList<>();
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      if (r.field() == 1) {
        if (offers.size() == MAX_OFFERS) {
          throw new ComputeMessageException("at most " + MAX_OFFERS + " model offers");
        }
        offers.add(ModelOffer.decode(r.bytes()));
      } else {
        r.skip();
      }
    }
    return new Capabilities(offers);
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
}
