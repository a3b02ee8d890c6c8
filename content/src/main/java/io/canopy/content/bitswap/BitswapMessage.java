package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.multiformats.Varint;
import io.canopy.protobuf.ProtoException;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protobuf.WireType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One Bitswap message (bitswap-protocol.md, "Wire Format" of 1.0.0, 1.1.0 and 1.2.0): wantlist
 * entries, blocks, block presences and pending bytes. {@link #decode} reads any version (1.0.0's
 * {@code blocks} become payloads with the CIDv0 prefix); {@link #encode} writes the fields the
 * negotiated version has and leaves out the rest.
 *
 * @param wantlist entries of the sender's wantlist (updates unless {@code full})
 * @param full whether {@code wantlist} replaces the whole wantlist
 * @param blocks blocks, each as the CID prefix and the bytes
 * @param presences HAVE / DONT_HAVE answers (1.2.0)
 * @param pendingBytes bytes the sender still has queued for the receiver (1.2.0), 0 if not told
 */
public record BitswapMessage(
    List<Entry> wantlist, boolean full, List<Payload> blocks, List<BlockPresence> presences, int pendingBytes) {

  /** Message.Wantlist.WantType. */
  public enum WantType {
    BLOCK,
    HAVE
  }

  /** Message.BlockPresenceType. */
  public enum PresenceType {
    HAVE,
    DONT_HAVE
  }

  /** Message.Wantlist.Entry. */
  public record Entry(Cid cid, int priority, boolean cancel, WantType wantType, boolean sendDontHave) {
    public Entry {
      Objects.requireNonNull(cid, "cid");
      Objects.requireNonNull(wantType, "wantType");
    }

    public static Entry wantBlock(Cid cid, int priority, boolean sendDontHave) {
      return new Entry(cid, priority, false, WantType.BLOCK, sendDontHave);
    }

    public static Entry wantHave(Cid cid, int priority, boolean sendDontHave) {
      return new Entry(cid, priority, false, WantType.HAVE, sendDontHave);
    }

    public static Entry cancel(Cid cid) {
      return new Entry(cid, 0, true, WantType.BLOCK, false);
    }
  }

  /** Message.Block: a CID prefix and the block's bytes (the bytes are not copied). */
  public record Payload(byte[] prefix, byte[] data) {
    public Payload {
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(data, "data");
    }

    public static Payload of(Block block) {
      return new Payload(CidPrefix.of(block.cid()).encode(), block.data());
    }

    /**
     * The CID the data has under the prefix: hashing is what verifies a received block.
     *
     * @throws IllegalArgumentException if the prefix is malformed or names a hash we cannot compute
     */
    public Cid cid() {
      return CidPrefix.decode(prefix).sum(data);
    }
  }

  /** Message.BlockPresence. */
  public record BlockPresence(Cid cid, PresenceType type) {
    public BlockPresence {
      Objects.requireNonNull(cid, "cid");
      Objects.requireNonNull(type, "type");
    }
  }

  public BitswapMessage {
    wantlist = List.copyOf(wantlist);
    blocks = List.copyOf(blocks);
    presences = List.copyOf(presences);
  }

  public static BitswapMessage wants(List<Entry> entries) {
    return new BitswapMessage(entries, false, List.of(), List.of(), 0);
  }

  public boolean isEmpty() {
    return wantlist.isEmpty() && !full && blocks.isEmpty() && presences.isEmpty();
  }

  /** Sum of the block data lengths. */
  public long blockBytes() {
    long n = 0;
    for (Payload p : blocks) {
      n += p.data().length;
    }
    return n;
  }

  // ---- encoding ------------------------------------------------------------------------------

  /**
   * The message as the given protocol version writes it, without the length prefix. Block bytes are
   * wrapped, not copied: the buffer is a composite of small encoded parts and the blocks' arrays.
   */
  public ByteBuf encode(String protocol) {
    boolean v12 = Bitswap.PROTOCOL_1_2_0.equals(protocol);
    boolean v10 = Bitswap.PROTOCOL_1_0_0.equals(protocol);
    List<byte[]> parts = new ArrayList<>(2 + 2 * blocks.size());
    if (!wantlist.isEmpty() || full) {
      ProtoWriter wl = new ProtoWriter(16 + wantlist.size() * 48);
      for (Entry e : wantlist) {
        ProtoWriter entry = new ProtoWriter(48).bytes(1, e.cid().toBytes()).varint(2, e.priority());
        if (e.cancel()) {
          entry.bool(3, true);
        }
        if (v12 && e.wantType() == WantType.HAVE) {
          entry.varint(4, 1);
        }
        if (v12 && e.sendDontHave()) {
          entry.bool(5, true);
        }
        wl.message(1, entry);
      }
      if (full) {
        wl.bool(2, true);
      }
      parts.add(new ProtoWriter(wl.size() + 8).message(1, wl).toByteArray());
    }
    for (Payload p : blocks) {
      if (v10) {
        parts.add(header(2, p.data().length)); // 1.0.0 "repeated bytes blocks = 2"
      } else {
        // Message.Block {prefix = 1, data = 2} as payload = 3, written by hand so that the data
        // array goes into the composite buffer as is.
        byte[] prefix = new ProtoWriter(p.prefix().length + 4).bytes(1, p.prefix()).toByteArray();
        byte[] dataHeader = header(2, p.data().length);
        byte[] outer = header(3, prefix.length + dataHeader.length + p.data().length);
        byte[] head = new byte[outer.length + prefix.length + dataHeader.length];
        System.arraycopy(outer, 0, head, 0, outer.length);
        System.arraycopy(prefix, 0, head, outer.length, prefix.length);
        System.arraycopy(dataHeader, 0, head, outer.length + prefix.length, dataHeader.length);
        parts.add(head);
      }
      parts.add(p.data());
    }
    if (v12 && (!presences.isEmpty() || pendingBytes != 0)) {
      ProtoWriter tail = new ProtoWriter(8 + presences.size() * 48);
      for (BlockPresence bp : presences) {
        ProtoWriter presence = new ProtoWriter(48).bytes(1, bp.cid().toBytes());
        if (bp.type() == PresenceType.DONT_HAVE) {
          presence.varint(2, 1);
        }
        tail.message(4, presence);
      }
      if (pendingBytes != 0) {
        tail.varint(5, pendingBytes);
      }
      parts.add(tail.toByteArray());
    }
    return parts.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(parts.toArray(new byte[0][]));
  }

  /** {@link #encode} as one array (tests, raw peers). */
  public byte[] toByteArray(String protocol) {
    ByteBuf buf = encode(protocol);
    try {
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** A length-delimited field's tag and length, for a value written separately. */
  private static byte[] header(int field, int length) {
    long tag = ((long) field << 3) | WireType.LENGTH_DELIMITED;
    byte[] out = new byte[Varint.size(tag) + Varint.size(length)];
    Varint.write(length, out, Varint.write(tag, out, 0));
    return out;
  }

  // ---- decoding ------------------------------------------------------------------------------

  /**
   * Reads a message of any version. The caller bounds its size (the frame decoder does).
   *
   * @throws ProtoException if it is not a valid Bitswap message (bad protobuf, bad CID, unknown enum)
   */
  public static BitswapMessage decode(byte[] bytes) {
    List<Entry> entries = new ArrayList<>();
    boolean[] full = {false};
    List<Payload> blocks = new ArrayList<>();
    List<BlockPresence> presences = new ArrayList<>();
    int pendingBytes = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> readWantlist(r.bytes(), entries, full);
        case 2 -> blocks.add(new Payload(CidPrefix.V0.encode(), r.bytes()));
        case 3 -> blocks.add(readPayload(r.bytes()));
        case 4 -> presences.add(readPresence(r.bytes()));
        case 5 -> pendingBytes = (int) r.varint();
        default -> r.skip();
      }
    }
    return new BitswapMessage(entries, full[0], blocks, presences, pendingBytes);
  }

  private static void readWantlist(byte[] bytes, List<Entry> entries, boolean[] full) {
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> entries.add(readEntry(r.bytes()));
        case 2 -> full[0] = r.bool();
        default -> r.skip();
      }
    }
  }

  private static Entry readEntry(byte[] bytes) {
    Cid cid = null;
    int priority = 1; // the spec: "default to 1"
    boolean cancel = false;
    WantType type = WantType.BLOCK;
    boolean sendDontHave = false;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> cid = cid(r.bytes());
        case 2 -> priority = (int) r.varint();
        case 3 -> cancel = r.bool();
        case 4 -> type = switch ((int) r.varint()) {
          case 0 -> WantType.BLOCK;
          case 1 -> WantType.HAVE;
          default -> throw new ProtoException("unknown wantType");
        };
        case 5 -> sendDontHave = r.bool();
        default -> r.skip();
      }
    }
    if (cid == null) {
      throw new ProtoException("wantlist entry without a block CID");
    }
    return new Entry(cid, priority, cancel, type, sendDontHave);
  }

  private static Payload readPayload(byte[] bytes) {
    byte[] prefix = null;
    byte[] data = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> prefix = r.bytes();
        case 2 -> data = r.bytes();
        default -> r.skip();
      }
    }
    if (prefix == null) {
      throw new ProtoException("payload block without a prefix");
    }
    return new Payload(prefix, data == null ? new byte[0] : data);
  }

  private static BlockPresence readPresence(byte[] bytes) {
    Cid cid = null;
    PresenceType type = PresenceType.HAVE;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> cid = cid(r.bytes());
        case 2 -> type = switch ((int) r.varint()) {
          case 0 -> PresenceType.HAVE;
          case 1 -> PresenceType.DONT_HAVE;
          default -> throw new ProtoException("unknown block presence type");
        };
        default -> r.skip();
      }
    }
    if (cid == null) {
      throw new ProtoException("block presence without a CID");
    }
    return new BlockPresence(cid, type);
  }

  private static Cid cid(byte[] bytes) {
    try {
      return Cid.fromBytes(bytes);
    } catch (InvalidCidException e) {
      throw new ProtoException("invalid CID: " + e.getMessage());
    }
  }
}
