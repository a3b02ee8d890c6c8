package io.canopy.protocol.poa;

import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A storage node's answer to a {@link Challenge} (spec/proofs.md §5.4): every block on the
 * root→leaf paths of the drawn offsets, each once, leaves included, in the order the paths
 * visit them. Encoded as {@code message Proof { repeated Block block = 1; }} with {@code
 * Block { bytes cid = 1; bytes data = 2; }}.
 */
public record Proof(List<ProofBlock> blocks) {
  /** Largest block a proof may carry (Bitswap's limit). */
  public static final int MAX_BLOCK_SIZE = 2 * 1024 * 1024;
  /** Deepest root→leaf path accepted: 174-link trees reach 2^59 leaves in 8 levels. */
  public static final int MAX_DEPTH = 16;
  /** Path bytes allowed per draw besides its leaf: MAX_DEPTH inner nodes of ≤ 4 KiB are typical (174 links ≈ 7 KiB); generous. */
  public static final int PATH_ALLOWANCE = 128 * 1024;

  public Proof {
    blocks = List.copyOf(blocks);
  }

  /** {@code 64 KiB + k · (MAX_BLOCK_SIZE + PATH_ALLOWANCE)}: the largest proof a challenge of k draws may get. */
  public static int maxSize(int draws) {
    long size = 64L * 1024 + (long) Math.max(1, draws) * (MAX_BLOCK_SIZE + PATH_ALLOWANCE);
    return (int) Math.min(Integer.MAX_VALUE - 64, size);
  }

  /** At most one block per level of every path. */
  public static int maxBlocks(int draws) {
    return Math.max(1, draws) * (MAX_DEPTH + 1);
  }

  public byte[] encode() {
    ProtoWriter w = new ProtoWriter();
    for (ProofBlock b : blocks) {
      w.message(1, new ProtoWriter().bytes(1, b.cid().toBytes()).bytes(2, b.data()));
    }
    return w.toByteArray();
  }

  /** Decodes a proof of at most {@code maxBytes} bytes and {@code maxBlocks} blocks. */
  public static Proof decode(byte[] bytes, int maxBytes, int maxBlocks) {
    if (bytes.length > maxBytes) {
      throw new PoaMessageException("proof of " + bytes.length + " bytes exceeds the limit of " + maxBytes);
    }
    List<ProofBlock> out = new ArrayList<>();
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        if (r.field() != 1) {
          r.skip();
          continue;
        }
        if (out.size() == maxBlocks) {
          throw new PoaMessageException("proof has more than " + maxBlocks + " blocks");
        }
        out.add(decodeBlock(r.bytes()));
      }
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("proof", e);
    }
    return new Proof(out);
  }

  private static ProofBlock decodeBlock(byte[] bytes) {
    Cid cid = null;
    byte[] data = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> cid = Cid.fromBytes(r.bytes());
        case 2 -> data = r.bytes();
        default -> r.skip();
      }
    }
    if (cid == null || data == null) {
      throw new PoaMessageException("proof block lacks its cid or data");
    }
    if (data.length > MAX_BLOCK_SIZE) {
      throw new PoaMessageException("proof block of " + data.length + " bytes exceeds " + MAX_BLOCK_SIZE);
    }
    return new ProofBlock(cid, data);
  }
}
