package io.canopy.identity;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.util.Arrays;
import java.util.Optional;

/**
 * A libp2p peer ID (peer-ids.md §Peer Ids): the multihash of the peer's protobuf-encoded public
 * key — the identity multihash (the key inline) when that encoding is at most {@value
 * #MAX_INLINE_KEY_LENGTH} bytes, as it is for Ed25519, sha2-256 otherwise.
 *
 * <p>Text forms (peer-ids.md §String representation): the legacy bare base58btc of the multihash
 * ({@code 12D3KooW…} for Ed25519, {@code Qm…} for hashed keys), which {@link #toString} writes;
 * and a CIDv1 with the {@code libp2p-key} codec in any multibase (base36 {@code k51…} in IPNS
 * names, base32 {@code bafz…}), which {@link #parse} also reads.
 */
public final class PeerId {
  /** Public key protobufs up to this length are inlined with the identity hash (spec §Peer Ids). */
  public static final int MAX_INLINE_KEY_LENGTH = 42;
  /** Longer than any peer ID text form; bounds what {@link #parse} reads. */
  public static final int MAX_TEXT_LENGTH = 128;

  private final Multihash multihash;
  private final byte[] bytes;

  private PeerId(Multihash multihash) {
    this.multihash = multihash;
    this.bytes = multihash.toBytes();
  }

  /**
   * The peer ID of a public key of any type: inline for Ed25519 (36-byte protobuf) and Secp256k1
   * (37 bytes), sha2-256 for RSA.
   */
  public static PeerId fromPublicKey(PublicKey key) {
    return fromPublicKeyProtobuf(key.toProtobuf());
  }

  /** The peer ID of any libp2p public key protobuf, hashed per the spec's 42-byte rule. */
  public static PeerId fromPublicKeyProtobuf(byte[] protobuf) {
    KeyMessage.decode(protobuf, "public key");
    Multicodec fn = protobuf.length <= MAX_INLINE_KEY_LENGTH ? Multicodec.IDENTITY : Multicodec.SHA2_256;
    return new PeerId(Multihash.compute(fn, protobuf));
  }

  /** The peer ID whose binary form is {@code bytes} (a multihash). */
  public static PeerId fromBytes(byte[] bytes) {
    Multihash mh;
    try {
      mh = Multihash.fromBytes(bytes);
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("peer ID is not a multihash: " + e.getMessage(), e);
    }
    return fromMultihash(mh);
  }

  public static PeerId fromMultihash(Multihash mh) {
    if (mh.code() == Multicodec.IDENTITY.code()) {
      if (mh.digestLength() > MAX_INLINE_KEY_LENGTH) {
        throw new KeyFormatException(
            "inline peer ID key is " + mh.digestLength() + " bytes, more than " + MAX_INLINE_KEY_LENGTH);
      }
      KeyMessage.decode(mh.digest(), "peer ID public key");
    } else if (mh.code() == Multicodec.SHA2_256.code()) {
      if (mh.digestLength() != 32) {
        throw new KeyFormatException("sha2-256 peer ID must have a 32-byte digest, got " + mh.digestLength());
      }
    } else {
      throw new KeyFormatException(
          "peer ID multihash must be identity or sha2-256, got " + Multicodec.describe(mh.code()));
    }
    return new PeerId(mh);
  }

  /**
   * Parses either text form: bare base58btc ({@code 12D3KooW…}, {@code 1…}, {@code Qm…}) or a
   * multibase CIDv1 whose codec is {@code libp2p-key}.
   */
  public static PeerId parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new KeyFormatException("empty peer ID");
    }
    if (text.length() > MAX_TEXT_LENGTH) {
      throw new KeyFormatException("peer ID text longer than " + MAX_TEXT_LENGTH + " characters");
    }
    try {
      if (text.startsWith("1") || text.startsWith("Qm")) {
        return fromBytes(Multibase.BASE58_BTC.decodeBare(text));
      }
      Cid cid = Cid.fromBytes(Multibase.decode(text));
      if (cid.version() != 1 || cid.codec() != Multicodec.LIBP2P_KEY.code()) {
        throw new KeyFormatException(
            "a CID peer ID must be CIDv1 with codec libp2p-key, got " + Multicodec.describe(cid.codec()));
      }
      return fromMultihash(cid.multihash());
    } catch (KeyFormatException e) {
      throw new KeyFormatException("invalid peer ID '" + text + "': " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("invalid peer ID '" + text + "': " + e.getMessage(), e);
    }
  }

  public Multihash multihash() {
    return multihash;
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The CIDv1 form ({@code libp2p-key} codec). */
  public Cid toCid() {
    return Cid.v1(Multicodec.LIBP2P_KEY, multihash);
  }

  /** The CIDv1 text in {@code base}, e.g. base36 for IPNS names ({@code k51…}). */
  public String toCidString(Multibase base) {
    return toCid().toString(base);
  }

  /** The Ed25519 key inlined in this peer ID, if it is one (hashed IDs carry no key). */
  public Optional<Ed25519PublicKey> ed25519PublicKey() {
    if (multihash.code() != Multicodec.IDENTITY.code()) {
      return Optional.empty();
    }
    byte[] protobuf = multihash.digest();
    if (KeyMessage.decode(protobuf, "peer ID public key").type() != KeyType.ED25519) {
      return Optional.empty();
    }
    return Optional.of(Ed25519PublicKey.fromProtobuf(protobuf));
  }

  /**
   * The public key inlined in this peer ID (identity multihash), of whatever type; empty for a
   * hashed ID, which carries no key. {@link KeyFormatException} if the inlined key does not decode
   * (see {@link PublicKeys#decode}).
   */
  public Optional<PublicKey> publicKey() {
    if (multihash.code() != Multicodec.IDENTITY.code()) {
      return Optional.empty();
    }
    return Optional.of(PublicKeys.decode(multihash.digest()));
  }

  /** Whether {@code key} is the key this peer ID names. */
  public boolean matches(PublicKey key) {
    return equals(fromPublicKey(key));
  }

  /** The legacy base58btc text form, as Kubo and js-libp2p print peer IDs. */
  @Override
  public String toString() {
    return Multibase.BASE58_BTC.encodeBare(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerId p && Arrays.equals(p.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }
}
