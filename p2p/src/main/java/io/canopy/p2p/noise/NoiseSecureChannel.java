package io.canopy.p2p.noise;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.p2p.noise.NoiseHandshakeState.Role;
import io.netty.util.concurrent.Promise;
import java.security.SecureRandom;

/**
 * The libp2p Noise security protocol, {@value #PROTOCOL_ID} (libp2p specs, noise/README.md), for
 * one local identity: hands out a {@link NoiseHandler} per connection.
 *
 * <p>Plugging it in after multistream-select has chosen {@value #PROTOCOL_ID}:
 *
 * <pre>{@code
 * Promise<PeerId> remote = channel.eventLoop().newPromise();
 * channel.pipeline().addLast("noise", noise.initiator(dialedPeerId, remote)); // or responder(remote)
 * remote.addListener(f -> { if (f.isSuccess()) channel.pipeline().addLast(nextHandler); });
 * }</pre>
 *
 * Everything behind the handler then reads and writes plaintext ByteBufs.
 *
 * <p>One Noise static key serves every connection of this instance, as in go- and js-libp2p: it
 * is signed once with the identity key. Each handshake gets a fresh ephemeral key.
 */
public final class NoiseSecureChannel {
  public static final String PROTOCOL_ID = "/noise";
  /**
   * The largest handshake message accepted; the Noise maximum. Legitimate ones are a few hundred
   * bytes (an RSA identity key is the biggest part).
   */
  public static final int DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH = CipherState.MAX_MESSAGE_LENGTH;

  private static final byte[] PROLOGUE = new byte[0];

  private final Ed25519PrivateKey identity;
  private final X25519KeyPair staticKey;
  private final NoisePayload payload;
  private final SecureRandom random;
  private final int maxHandshakeMessageLength;

  /** A fresh static key from {@code random}, default limits. */
  public NoiseSecureChannel(Ed25519PrivateKey identity, SecureRandom random) {
    this(identity, X25519KeyPair.generate(random), random, DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH);
  }

  /**
   * @param random the source of ephemeral keys (inject a seeded one in tests)
   * @param maxHandshakeMessageLength handshake messages announcing more bytes close the channel
   */
  public NoiseSecureChannel(
      Ed25519PrivateKey identity, X25519KeyPair staticKey, SecureRandom random, int maxHandshakeMessageLength) {
    if (maxHandshakeMessageLength < 1 || maxHandshakeMessageLength > CipherState.MAX_MESSAGE_LENGTH) {
      throw new IllegalArgumentException("maxHandshakeMessageLength out of range: " + maxHandshakeMessageLength);
    }
    this.identity = identity;
    this.staticKey = staticKey;
    this.random = random;
    this.maxHandshakeMessageLength = maxHandshakeMessageLength;
    this.payload = NoisePayload.signed(identity, staticKey.publicKey(), NoisePayload.Extensions.NONE);
  }

  public PeerId localPeerId() {
    return identity.peerId();
  }

  /** The handler for a connection we dialed, accepting whichever peer answers. */
  public NoiseHandler initiator(Promise<PeerId> remote) {
    return handler(Role.INITIATOR, null, remote);
  }

  /**
   * The handler for a connection we dialed to {@code expectedRemote} (a {@code /p2p/<id>}
   * address): the handshake fails unless that peer answers.
   */
  public NoiseHandler initiator(PeerId expectedRemote, Promise<PeerId> remote) {
    if (expectedRemote == null) {
      throw new IllegalArgumentException("expectedRemote is null; use initiator(remote)");
    }
    return handler(Role.INITIATOR, expectedRemote, remote);
  }

  /** The handler for a connection we accepted. */
  public NoiseHandler responder(Promise<PeerId> remote) {
    return handler(Role.RESPONDER, null, remote);
  }

  private NoiseHandler handler(Role role, PeerId expectedRemote, Promise<PeerId> remote) {
    NoiseHandshakeState handshake =
        new NoiseHandshakeState(role, staticKey, X25519KeyPair.generate(random), PROLOGUE);
    return new NoiseHandler(handshake, payload, expectedRemote, maxHandshakeMessageLength, remote);
  }
}
