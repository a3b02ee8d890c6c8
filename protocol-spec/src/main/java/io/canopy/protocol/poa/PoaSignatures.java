package io.canopy.protocol.poa;

import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.PeerId;
import java.util.Optional;

/** Domain-separated Ed25519 signatures (spec/proofs.md §5.7), as in chapter 2. */
final class PoaSignatures {
  private PoaSignatures() {}

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
    return key.isPresent() && signature != null && signature.length == Ed25519PublicKey.SIGNATURE_LENGTH
        && key.get().verify(message, signature);
  }
}
