package io.canopy.multiformats;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A content identifier (github.com/multiformats/cid). Version 0 is a bare sha2-256 multihash of a
 * DAG-PB block, written in base58btc; version 1 is {@code varint(1) varint(codec) multihash},
 * written by default in base32 with the 'b' prefix.
 */
public final class Cid implements Comparable<Cid> {
  /** The longest CID text we accept; real CIDs are well under 200 characters. */
  public static final int MAX_TEXT_LENGTH = 512;

  private final int version;
  private final long codec;
  private final Multihash multihash;
  private final byte[] bytes;

  private Cid(int version, long codec, Multihash multihash) {
    this.version = version;
    this.codec = codec;
    this.multihash = multihash;
    this.bytes = encode(version, codec, multihash);
  }

  public static Cid v0(Multihash multihash) {
    if (multihash.code() != Multicodec.SHA2_256.code() || multihash.digestLength() != 32) {
      throw new IllegalArgumentException("CIDv0 needs a 32-byte sha2-256 multihash, got " + multihash);
    }
    return new Cid(0, Multicodec.DAG_PB.code(), multihash);
  }

  public static Cid v1(long codec, Multihash multihash) {
    return new Cid(1, codec, multihash);
  }

  public static Cid v1(Multicodec codec, Multihash multihash) {
    return v1(codec.code(), multihash);
  }

  /** The CID of {@code block} under the given version, codec and hash function. */
  public static Cid of(int version, Multicodec codec, Multicodec hash, byte[] block) {
    if (version != 0 && version != 1) {
      throw new IllegalArgumentException("unsupported CID version " + version);
    }
    if (version == 0 && codec != Multicodec.DAG_PB) {
      throw new IllegalArgumentException("CIDv0 is always dag-pb, not " + codec.codecName());
    }
    Multihash mh = Multihash.compute(hash, block);
    return version == 0 ? v0(mh) : v1(codec, mh);
  }

  private static byte[] encode(int version, long codec, Multihash mh) {
    if (version == 0) {
      return mh.toBytes();
    }
    byte[] out = new byte[Varint.size(1) + Varint.size(codec) + mh.encodedLength()];
    int off = Varint.write(1, out, 0);
    off = Varint.write(codec, out, off);
    mh.writeTo(out, off);
    return out;
  }

  /** Parses CID text: a 46-character "Qm…" CIDv0 or any multibase-prefixed CIDv1. */
  public static Cid parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidCidException("empty CID");
    }
    if (text.length() > MAX_TEXT_LENGTH) {
      throw new InvalidCidException("CID text longer than " + MAX_TEXT_LENGTH + " characters");
    }
    try {
      if (text.length() == 46 && text.startsWith("Qm")) {
        return fromBytes(Multibase.BASE58_BTC.decodeBare(text));
      }
      Cid cid = fromBytes(Multibase.decode(text));
      if (cid.version == 0) {
        throw new InvalidCidException("CIDv0 must be bare base58btc, not multibase-prefixed");
      }
      return cid;
    } catch (InvalidCidException e) {
      throw new InvalidCidException("invalid CID '" + text + "': " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new InvalidCidException("invalid CID '" + text + "': " + e.getMessage(), e);
    }
  }

  public static Cid fromBytes(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Cid cid = read(in);
    if (in.hasRemaining()) {
      throw new InvalidCidException("trailing bytes after CID");
    }
    return cid;
  }

  /** Reads one binary CID from {@code in}, advancing its position (CAR sections, DAG-PB links). */
  public static Cid read(ByteBuffer in) {
    try {
      if (in.remaining() >= 2 && in.get(in.position()) == 0x12 && in.get(in.position() + 1) == 0x20) {
        return v0(Multihash.read(in));
      }
      long version = Varint.read(in);
      if (version != 1) {
        throw new InvalidCidException("unsupported CID version " + version);
      }
      long codec = Varint.read(in);
      return v1(codec, Multihash.read(in));
    } catch (InvalidCidException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InvalidCidException(e.getMessage(), e);
    }
  }

  public int version() {
    return version;
  }

  public long codec() {
    return codec;
  }

  public Multihash multihash() {
    return multihash;
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  public int byteLength() {
    return bytes.length;
  }

  public Cid toV1() {
    return version == 1 ? this : v1(codec, multihash);
  }

  /** Converts to CIDv0; only DAG-PB with a sha2-256 multihash can be expressed as v0. */
  public Cid toV0() {
    if (version == 0) {
      return this;
    }
    if (codec != Multicodec.DAG_PB.code()) {
      throw new InvalidCidException("only dag-pb CIDs convert to v0, this is " + Multicodec.describe(codec));
    }
    return v0(multihash);
  }

  /** Text in the given base (v1 only; v0 has one form). */
  public String toString(Multibase base) {
    if (version == 0) {
      throw new IllegalStateException("CIDv0 is always base58btc");
    }
    return base.encode(bytes);
  }

  @Override
  public String toString() {
    return version == 0 ? Multibase.BASE58_BTC.encodeBare(bytes) : Multibase.BASE32.encode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cid c && Arrays.equals(c.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Orders by binary form, which is the order DAG-PB and CAR tooling agree on. */
  @Override
  public int compareTo(Cid o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }
}
