package io.canopy.protocol.storage;

import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.PeerId;
import java.util.Optional;

/** Domain-separated Ed25519 signatures by peers whose IDs inline their key. */
final class Signatures {
  private Signatures() {}

  /**
   * {@code domain || payload}: a signature made for one kind of message can never be replayed as
   * another, even if their encodings happened to coincide.
   */
  static byte[] withDomain(byte[] domain, byte[] payload) {
    byte[] out = new byte[domain.length + payload.length];
    System.arraycopy(domain, 0, out, 0, domain.length);
    System.arraycopy(payload, 0, out, domain.length, payload.length);
    return out;
  }

  static boolean verify(PeerId signer, byte[] message, byte[] signature) {
    Optional<Ed25519PublicKey> key;
    try {
      key = signer.ed25519PublicKey();
    } catch (RuntimeException e) {
      return false;
    }
    return key.isPresent() && signature != null && key.get().verify(message, signature);
  }
}
