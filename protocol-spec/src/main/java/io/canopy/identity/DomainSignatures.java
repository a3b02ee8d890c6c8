package io.canopy.identity;

import java.util.Optional;

/**
 * Domain-separated Ed25519 signatures by peers whose IDs inline their key: every Canopy signature
 * is over {@code domain ‖ payload}, so that a signature made for one kind of message can never be
 * replayed as another, even if their encodings happened to coincide.
 */
public final class DomainSignatures {
  private DomainSignatures() {}

  /** {@code domain ‖ payload}. */
  public static byte[] withDomain(byte[] domain, byte[] payload) {
    byte[] out = new byte[domain.length + payload.length];
    System.arraycopy(domain, 0, out, 0, domain.length);
    System.arraycopy(payload, 0, out, domain.length, payload.length);
    return out;
  }

  /** Whether {@code signature} is {@code signer}'s over {@code message}; false for a peer ID without an inline Ed25519 key. */
  public static boolean verify(PeerId signer, byte[] message, byte[] signature) {
    Optional<Ed25519PublicKey> key;
    try {
      key = signer.ed25519PublicKey();
    } catch (RuntimeException e) {
      return false;
    }
    return key.isPresent() && signature != null && signature.length == Ed25519PublicKey.SIGNATURE_LENGTH
        && key.get().verify(message, signature);
  }
}
