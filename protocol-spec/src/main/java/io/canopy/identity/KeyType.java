package io.canopy.identity;

/**
 * The {@code KeyType} enum of the libp2p key protobuf (libp2p specs, peer-ids/peer-ids.md §Keys).
 * Canopy creates and signs with Ed25519 only; the other numbers are here so that an error can name
 * the key type a peer sent.
 */
public enum KeyType {
  RSA(0, "RSA"),
  ED25519(1, "Ed25519"),
  SECP256K1(2, "Secp256k1"),
  ECDSA(3, "ECDSA");

  private final int number;
  private final String specName;

  KeyType(int number, String specName) {
    this.number = number;
    this.specName = specName;
  }

  /** The enum value on the wire. */
  public int number() {
    return number;
  }

  /** The name the spec gives the value. */
  public String specName() {
    return specName;
  }

  public static KeyType byNumber(long number) {
    for (KeyType t : values()) {
      if (t.number == number) {
        return t;
      }
    }
    throw new KeyFormatException("unknown key type " + number);
  }
}
