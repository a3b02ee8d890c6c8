package io.canopy.p2p.noise;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise CipherState (Noise spec §5.1): a ChaChaPoly key {@code k}, possibly empty, and a 64-bit
 * nonce {@code n} that counts the messages sent (or received) with it.
 *
 * <p>The cipher is the JDK's "ChaCha20-Poly1305" (RFC 8439): it needs no extra provider, and its
 * ByteBuffer API encrypts straight between Netty buffers. The 96-bit nonce is 32 zero bits
 * followed by {@code n} little-endian (spec §12.3, ChaChaPoly).
 *
 * <p>Not thread-safe. After the handshake each direction of a connection owns one CipherState.
 */
public final class CipherState {
  /** The Poly1305 tag appended to every ciphertext. */
  public static final int TAG_LENGTH = 16;
  /** Noise messages, and so ciphertexts, are at most 65535 bytes (spec §3). */
  public static final int MAX_MESSAGE_LENGTH = 65535;
  /** The largest plaintext one transport message carries. */
  public static final int MAX_PLAINTEXT_LENGTH = MAX_MESSAGE_LENGTH - TAG_LENGTH;

  /** 2^64-1 is reserved (spec §5.1): a CipherState whose nonce reaches it is spent. */
  private static final long RESERVED_NONCE = -1L;
  private static final byte[] NO_AD = new byte[0];

  private SecretKeySpec key; // null: empty, messages pass in the clear (spec §5.1)
  private long n;
  private Cipher cipher;

  CipherState() {}

  /** InitializeKey(k): sets the key and resets the nonce to zero. */
  void initializeKey(byte[] k) {
    if (k.length != 32) {
      throw new IllegalArgumentException("ChaChaPoly key must be 32 bytes, got " + k.length);
    }
    key = new SecretKeySpec(k, "ChaCha20");
    n = 0;
  }

  public boolean hasKey() {
    return key != null;
  }

  /** The nonce of the next message, as an unsigned 64-bit count. */
  public long nonce() {
    return n;
  }

  /** SetNonce(nonce): for tests of the nonce's upper end. */
  void setNonce(long nonce) {
    n = nonce;
  }

  /** EncryptWithAd(ad, plaintext); with an empty key, the plaintext itself. */
  public byte[] encryptWithAd(byte[] ad, byte[] plaintext) throws NoiseException {
    if (!hasKey()) {
      return plaintext.clone();
    }
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    crypt(Cipher.ENCRYPT_MODE, ad, ByteBuffer.wrap(plaintext), ByteBuffer.wrap(out));
    return out;
  }

  /**
   * DecryptWithAd(ad, ciphertext); with an empty key, the ciphertext itself.
   *
   * @throws NoiseException if authentication fails; the nonce is then not advanced
   */
  public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws NoiseException {
    if (!hasKey()) {
      return ciphertext.clone();
    }
    if (ciphertext.length < TAG_LENGTH) {
      throw new NoiseException("ciphertext of " + ciphertext.length + " bytes is shorter than its tag");
    }
    byte[] out = new byte[ciphertext.length - TAG_LENGTH];
    crypt(Cipher.DECRYPT_MODE, ad, ByteBuffer.wrap(ciphertext), ByteBuffer.wrap(out));
    return out;
  }

  /**
   * A transport message (no associated data): encrypts all remaining bytes of {@code plaintext}
   * into {@code out}, which must have room for them plus {@link #TAG_LENGTH}.
   */
  public void encrypt(ByteBuffer plaintext, ByteBuffer out) throws NoiseException {
    requireKey();
    if (plaintext.remaining() > MAX_PLAINTEXT_LENGTH) {
      throw new IllegalArgumentException("plaintext of " + plaintext.remaining() + " bytes exceeds "
          + MAX_PLAINTEXT_LENGTH);
    }
    crypt(Cipher.ENCRYPT_MODE, NO_AD, plaintext, out);
  }

  /**
   * A transport message (no associated data): decrypts all remaining bytes of {@code ciphertext}
   * into {@code out}, which must have room for them minus {@link #TAG_LENGTH}.
   *
   * @throws NoiseException if authentication fails
   */
  public void decrypt(ByteBuffer ciphertext, ByteBuffer out) throws NoiseException {
    requireKey();
    if (ciphertext.remaining() < TAG_LENGTH) {
      throw new NoiseException("ciphertext of " + ciphertext.remaining() + " bytes is shorter than its tag");
    }
    crypt(Cipher.DECRYPT_MODE, NO_AD, ciphertext, out);
  }

  private void requireKey() {
    if (!hasKey()) {
      throw new IllegalStateException("transport CipherState without a key");
    }
  }

  private void crypt(int mode, byte[] ad, ByteBuffer in, ByteBuffer out) throws NoiseException {
    if (n == RESERVED_NONCE) {
      throw new NoiseException("nonce space exhausted: no more messages can be sent with this key");
    }
    byte[] iv = new byte[12];
    for (int i = 0; i < 8; i++) {
      iv[4 + i] = (byte) (n >>> (8 * i));
    }
    try {
      if (cipher == null) {
        cipher = Cipher.getInstance("ChaCha20-Poly1305");
      }
      cipher.init(mode, key, new IvParameterSpec(iv));
      if (ad.length > 0) {
        cipher.updateAAD(ad);
      }
      cipher.doFinal(in, out);
    } catch (AEADBadTagException e) {
      // JDK 17 refuses to re-initialise a Cipher with the key and nonce of its last init, even to
      // decrypt; after a failure the same nonce may be used again, so start from a fresh Cipher.
      cipher = null;
      throw new NoiseException("message failed authentication (tampered, or wrong key or nonce)", e);
    } catch (NoSuchPaddingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no ChaCha20-Poly1305", e);
    } catch (GeneralSecurityException e) {
      cipher = null;
      throw new NoiseException("ChaCha20-Poly1305 failed: " + e, e);
    }
    n++;
  }
}
