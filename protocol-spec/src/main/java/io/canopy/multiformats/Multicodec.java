package io.canopy.multiformats;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The entries of the multicodec table (github.com/multiformats/multicodec, table.csv) that Canopy
 * reads or writes. Unknown codes are not an error where a value is only passed through: {@link
 * #byCode} returns empty and callers keep the number.
 */
public enum Multicodec {
  IDENTITY(0x00, "identity", Tag.MULTIHASH),
  CIDV1(0x01, "cidv1", Tag.CID),
  SHA1(0x11, "sha1", Tag.MULTIHASH),
  SHA2_256(0x12, "sha2-256", Tag.MULTIHASH),
  SHA2_512(0x13, "sha2-512", Tag.MULTIHASH),
  BLAKE3(0x1e, "blake3", Tag.MULTIHASH),
  MURMUR3_X64_64(0x22, "murmur3-x64-64", Tag.HASH),
  RAW(0x55, "raw", Tag.IPLD),
  DAG_PB(0x70, "dag-pb", Tag.IPLD),
  DAG_CBOR(0x71, "dag-cbor", Tag.IPLD),
  LIBP2P_KEY(0x72, "libp2p-key", Tag.IPLD),
  DAG_JSON(0x0129, "dag-json", Tag.IPLD),
  BLAKE2B_256(0xb220, "blake2b-256", Tag.MULTIHASH);

  /** The table's "tag" column: what kind of thing a code names. */
  public enum Tag {
    MULTIHASH,
    HASH,
    IPLD,
    CID
  }

  private static final Map<Long, Multicodec> BY_CODE = new HashMap<>();
  private static final Map<String, Multicodec> BY_NAME = new HashMap<>();

  static {
    for (Multicodec c : values()) {
      BY_CODE.put(c.code, c);
      BY_NAME.put(c.codecName, c);
    }
  }

  private final long code;
  private final String codecName;
  private final Tag tag;

  Multicodec(long code, String codecName, Tag tag) {
    this.code = code;
    this.codecName = codecName;
    this.tag = tag;
  }

  public long code() {
    return code;
  }

  /** The name used in the multicodec table and on the command line ({@code --hash blake3}). */
  public String codecName() {
    return codecName;
  }

  public Tag tag() {
    return tag;
  }

  public static Optional<Multicodec> byCode(long code) {
    return Optional.ofNullable(BY_CODE.get(code));
  }

  public static Optional<Multicodec> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** A human name for any code, known or not (for error messages). */
  public static String describe(long code) {
    return byCode(code).map(Multicodec::codecName).orElse("0x" + Long.toHexString(code));
  }
}
