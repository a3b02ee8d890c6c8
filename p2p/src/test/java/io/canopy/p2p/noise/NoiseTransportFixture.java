package io.canopy.p2p.noise;

import io.netty.channel.ChannelHandler;
import java.nio.ByteBuffer;

/**
 * The secured side of a Noise connection without running a handshake, for tests outside this
 * package (the decoders' fuzz test): a {@link NoiseTransportCodec} whose receiving CipherState
 * shares its key with a {@link #sealer}, so that a test can write genuine transport messages to it
 * as well as forged ones.
 */
public final class NoiseTransportFixture {
  private final byte[] key;

  public NoiseTransportFixture(byte[] key) {
    this.key = key.clone();
  }

  /** A transport codec receiving with this key from nonce 0 (and sending with it too). */
  public ChannelHandler codec() {
    return new NoiseTransportCodec(keyed(), keyed());
  }

  /** Seals plaintexts as the peer would: one transport message each, nonces from 0. */
  public Sealer sealer() {
    return new Sealer(keyed());
  }

  private CipherState keyed() {
    CipherState c = new CipherState();
    c.initializeKey(key);
    return c;
  }

  /** The sending side of the peer. */
  public static final class Sealer {
    private final CipherState cipher;

    private Sealer(CipherState cipher) {
      this.cipher = cipher;
    }

    /** The ciphertext of {@code plaintext} (at most {@link CipherState#MAX_PLAINTEXT_LENGTH} bytes), tag included. */
    public byte[] seal(byte[] plaintext) throws NoiseException {
      byte[] out = new byte[plaintext.length + CipherState.TAG_LENGTH];
      cipher.encrypt(ByteBuffer.wrap(plaintext), ByteBuffer.wrap(out));
      return out;
    }
  }
}
