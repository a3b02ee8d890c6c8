package io.canopy.content.bitswap;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.multiformats.Varint;
import java.nio.ByteBuffer;

/**
 * The {@code prefix} of a Bitswap 1.1+ payload block: every part of a CID but the digest, as
 * varints {@code version codec multihash-code multihash-length} (go-cid's {@code Prefix.Bytes()},
 * which Kubo and Helia send). The receiver hashes the data with it to learn the block's CID; that
 * hash is also the block's verification.
 */
record CidPrefix(long version, long codec, long hashFunction, long hashLength) {
  /** What a 1.0.0 {@code blocks} entry implies: 1.0.0 only knew CIDv0 (dag-pb, sha2-256). */
  static final CidPrefix V0 = new CidPrefix(0, Multicodec.DAG_PB.code(), Multicodec.SHA2_256.code(), 32);

  static CidPrefix of(Cid cid) {
    Multihash mh = cid.multihash();
    return new CidPrefix(cid.version(), cid.codec(), mh.code(), mh.digestLength());
  }

  byte[] encode() {
    byte[] out = new byte[Varint.size(version) + Varint.size(codec) + Varint.size(hashFunction) + Varint.size(hashLength)];
    int off = Varint.write(version, out, 0);
    off = Varint.write(codec, out, off);
    off = Varint.write(hashFunction, out, off);
    Varint.write(hashLength, out, off);
    return out;
  }

  /** @throws IllegalArgumentException if the bytes are not four varints */
  static CidPrefix decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CidPrefix p = new CidPrefix(Varint.read(in), Varint.read(in), Varint.read(in), Varint.read(in));
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("trailing bytes after CID prefix");
    }
    return p;
  }

  /**
   * The CID of {@code data} under this prefix.
   *
   * @throws IllegalArgumentException for a hash function we cannot compute, a digest length that
   *     is not the function's, or a version/codec combination no CID can have
   */
  Cid sum(byte[] data) {
    Multicodec fn = Multicodec.byCode(hashFunction)
        .filter(Multihash::isSupported)
        .orElseThrow(() -> new IllegalArgumentException("unsupported hash function " + Multicodec.describe(hashFunction)));
    Multihash mh = Multihash.compute(fn, data);
    if (mh.digestLength() != hashLength) {
      throw new IllegalArgumentException("prefix digest length " + hashLength + " is not " + fn.codecName() + "'s " + mh.digestLength());
    }
    if (version == 0) {
      if (codec != Multicodec.DAG_PB.code()) {
        throw new IllegalArgumentException("CIDv0 prefix with codec " + Multicodec.describe(codec));
      }
      return Cid.v0(mh);
    }
    if (version != 1) {
      throw new IllegalArgumentException("unsupported CID version " + version);
    }
    return Cid.v1(codec, mh);
  }
}
