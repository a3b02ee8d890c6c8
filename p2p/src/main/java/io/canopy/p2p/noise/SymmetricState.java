package io.canopy.p2p.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise SymmetricState (Noise spec §5.2) with SHA256 as the hash (HASHLEN 32, spec §12.5): the
 * chaining key {@code ck}, the handshake hash {@code h} and a {@link CipherState}.
 */
final class SymmetricState {
  static final int HASHLEN = 32;

  private final CipherState cipher = new CipherState();
  private final MessageDigest sha256;
  private byte[] ck;
  private byte[] h;

  /** InitializeSymmetric(protocol_name). */
  SymmetricState(String protocolName) {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
    byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
    // A name of at most HASHLEN bytes is zero-padded, a longer one hashed.
    h = name.length <= HASHLEN ? Arrays.copyOf(name, HASHLEN) : sha256.digest(name);
    ck = h.clone();
  }

  /** MixKey(input_key_material). */
  void mixKey(byte[] inputKeyMaterial) {
    byte[][] out = hkdf(ck, inputKeyMaterial, 2);
    ck = out[0];
    cipher.initializeKey(out[1]); // HASHLEN is 32: no truncation
  }

  /** MixHash(data): h = HASH(h || data). */
  void mixHash(byte[] data) {
    sha256.update(h);
    sha256.update(data);
    h = sha256.digest();
  }

  boolean hasKey() {
    return cipher.hasKey();
  }

  /** EncryptAndHash(plaintext). */
  byte[] encryptAndHash(byte[] plaintext) throws NoiseException {
    byte[] ciphertext = cipher.encryptWithAd(h, plaintext);
    mixHash(ciphertext);
    return ciphertext;
  }

  /** DecryptAndHash(ciphertext). */
  byte[] decryptAndHash(byte[] ciphertext) throws NoiseException {
    byte[] plaintext = cipher.decryptWithAd(h, ciphertext);
    mixHash(ciphertext);
    return plaintext;
  }

  /** Split(): the initiator's sending CipherState first, then the responder's. */
  CipherState[] split() {
    byte[][] keys = hkdf(ck, new byte[0], 2);
    CipherState c1 = new CipherState();
    c1.initializeKey(keys[0]);
    CipherState c2 = new CipherState();
    c2.initializeKey(keys[1]);
    return new CipherState[] {c1, c2};
  }

  byte[] handshakeHash() {
    return h.clone();
  }

  /** HKDF(chaining_key, input_key_material, num_outputs), spec §4.3, with HMAC-SHA256. */
  static byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial, int outputs) {
    if (outputs < 2 || outputs > 3) {
      throw new IllegalArgumentException("HKDF gives 2 or 3 outputs, not " + outputs);
    }
    byte[] tempKey = hmac(chainingKey, inputKeyMaterial);
    byte[][] out = new byte[outputs][];
    byte[] previous = new byte[0];
    for (int i = 0; i < outputs; i++) {
      byte[] input = Arrays.copyOf(previous, previous.length + 1);
      input[previous.length] = (byte) (i + 1);
      out[i] = hmac(tempKey, input);
      previous = out[i];
    }
    return out;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no HmacSHA256", e);
    }
  }
}
