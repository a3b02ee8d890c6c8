package io.canopy.content.dagpb;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The DAG-PB codec (github.com/ipld/specs block-layer/codecs/dag-pb.md), strict in both directions:
 * the encoder writes the canonical form (links sorted by name bytes, links before data, link fields
 * Hash, Name, Tsize in that order). The decoder rejects unknown or repeated fields and wrong wire
 * types, but accepts Data before Links and unsorted links, which old go-ipfs versions wrote: a
 * received block is trusted by its hash, not by its byte layout.
 */
public final class DagPb {
  /** Bytewise order on link names, the order the spec requires (stable for equal names). */
  public static final Comparator<PbLink> LINK_ORDER =
      (a, b) -> Arrays.compareUnsigned(utf8(a.nameOrEmpty()), utf8(b.nameOrEmpty()));

  private DagPb() {}

  public static byte[] encode(PbNode node) {
    List<PbLink> links = new ArrayList<>(node.links());
    links.sort(LINK_ORDER);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + links.size() * 48 + (node.data() == null ? 0 : node.data().length));
    for (PbLink link : links) {
      byte[] encoded = encodeLink(link);
      writeTag(out, 2, 2);
      writeVarint(out, encoded.length);
      out.writeBytes(encoded);
    }
    if (node.data() != null) {
      writeTag(out, 1, 2);
      writeVarint(out, node.data().length);
      out.writeBytes(node.data());
    }
    return out.toByteArray();
  }

  private static byte[] encodeLink(PbLink link) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(48);
    byte[] hash = link.hash().toBytes();
    writeTag(out, 1, 2);
    writeVarint(out, hash.length);
    out.writeBytes(hash);
    if (link.name() != null) {
      byte[] name = utf8(link.name());
      writeTag(out, 2, 2);
      writeVarint(out, name.length);
      out.writeBytes(name);
    }
    if (link.tsize() != null) {
      writeTag(out, 3, 0);
      writeVarint(out, link.tsize());
    }
    return out.toByteArray();
  }

  public static PbNode decode(byte[] block) {
    ByteBuffer in = ByteBuffer.wrap(block);
    List<PbLink> links = new ArrayList<>();
    byte[] data = null;
    while (in.hasRemaining()) {
      long tag = readVarint(in);
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (wire != 2) {
        throw new DagPbException("PBNode field " + field + " has wire type " + wire + ", expected bytes");
      }
      byte[] value = readBytes(in);
      if (field == 2) {
        links.add(decodeLink(value));
      } else if (field == 1) {
        if (data != null) {
          throw new DagPbException("PBNode has two Data fields");
        }
        data = value;
      } else {
        throw new DagPbException("PBNode has unknown field " + field);
      }
    }
    return new PbNode(links, data);
  }

  private static PbLink decodeLink(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Cid hash = null;
    String name = null;
    Long tsize = null;
    int seen = 0;
    while (in.hasRemaining()) {
      long tag = readVarint(in);
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if ((seen & (1 << Math.min(field, 30))) != 0) {
        throw new DagPbException("PBLink field " + field + " repeated");
      }
      seen |= 1 << Math.min(field, 30);
      switch (field) {
        case 1 -> {
          expectWire(wire, 2, "Hash");
          try {
            hash = Cid.fromBytes(readBytes(in));
          } catch (InvalidCidException e) {
            throw new DagPbException("PBLink Hash is not a CID: " + e.getMessage());
          }
        }
        case 2 -> {
          expectWire(wire, 2, "Name");
          name = decodeUtf8(readBytes(in));
        }
        case 3 -> {
          expectWire(wire, 0, "Tsize");
          long v = readVarint(in);
          if (v < 0) {
            throw new DagPbException("PBLink Tsize out of range");
          }
          tsize = v;
        }
        default -> throw new DagPbException("PBLink has unknown field " + field);
      }
    }
    if (hash == null) {
      throw new DagPbException("PBLink without Hash");
    }
    return new PbLink(hash, name, tsize);
  }

  private static void expectWire(int wire, int expected, String field) {
    if (wire != expected) {
      throw new DagPbException("PBLink " + field + " has wire type " + wire);
    }
  }

  private static byte[] readBytes(ByteBuffer in) {
    long len = readVarint(in);
    if (len < 0 || len > in.remaining()) { // a 10-byte varint can read as negative
      throw new DagPbException("length " + Long.toUnsignedString(len) + " runs past the end of the block");
    }
    byte[] out = new byte[(int) len];
    in.get(out);
    return out;
  }

  /** Protobuf varints (up to 10 bytes); DAG-PB values never exceed 63 bits. */
  static long readVarint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!in.hasRemaining()) {
        throw new DagPbException("truncated varint");
      }
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new DagPbException("varint too long");
  }

  static void writeTag(ByteArrayOutputStream out, int field, int wire) {
    out.write((field << 3) | wire);
  }

  static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String decodeUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new DagPbException("PBLink Name is not valid UTF-8");
    }
  }
}
