package io.canopy.p2p.noise;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The Noise XX handshake, {@value #PROTOCOL_NAME} (Noise spec rev 34, §5.3 HandshakeState and
 * §7.5 pattern XX), as plain calls with no I/O:
 *
 * <pre>
 * XX:
 *   -&gt; e
 *   &lt;- e, ee, s, es
 *   -&gt; s, se
 * </pre>
 *
 * The initiator calls {@link #writeMessage}, {@link #readMessage}, {@link #writeMessage}; the
 * responder {@link #readMessage}, {@link #writeMessage}, {@link #readMessage}. Then {@link
 * #split} gives the two transport CipherStates. There are no pre-messages; the prologue is empty
 * in libp2p.
 *
 * <p>Any exception ends the handshake: later calls throw {@link IllegalStateException}.
 */
public final class NoiseHandshakeState {
  public static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";

  public enum Role {
    INITIATOR,
    RESPONDER
  }

  private enum Token {
    E,
    S,
    EE,
    ES,
    SE,
    SS
  }

  /** The XX message patterns, first message first (spec §7.5). */
  private static final Token[][] XX = {
    {Token.E},
    {Token.E, Token.EE, Token.S, Token.ES},
    {Token.S, Token.SE},
  };

  /** The transport CipherStates after {@link #split}, seen from this side. */
  public record TransportCiphers(CipherState sender, CipherState receiver) {}

  private final Role role;
  private final SymmetricState symmetric;
  private final X25519KeyPair s;
  private final X25519KeyPair e;
  private byte[] rs;
  private byte[] re;
  private int message; // index into XX of the next message
  private boolean failed;
  private boolean split;

  /**
   * Initialize(): {@code staticKey} is this side's s, {@code ephemeralKey} its e (generated fresh
   * for every handshake in production; fixed by test vectors).
   */
  public NoiseHandshakeState(Role role, X25519KeyPair staticKey, X25519KeyPair ephemeralKey, byte[] prologue) {
    this.role = role;
    this.s = staticKey;
    this.e = ephemeralKey;
    this.symmetric = new SymmetricState(PROTOCOL_NAME);
    symmetric.mixHash(prologue);
  }

  public Role role() {
    return role;
  }

  /** Whether the next message is this side's to write. */
  public boolean isMyTurn() {
    return !isFinished() && (message % 2 == 0) == (role == Role.INITIATOR);
  }

  /** Whether all three messages have been written or read. */
  public boolean isFinished() {
    return message == XX.length;
  }

  /** WriteMessage(payload, message_buffer): the next handshake message carrying {@code payload}. */
  public byte[] writeMessage(byte[] payload) throws NoiseException {
    checkUsable();
    if (!isMyTurn()) {
      throw new IllegalStateException("not this side's turn to write (message " + (message + 1) + ")");
    }
    failed = true; // until the message is complete
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Token token : XX[message]) {
      switch (token) {
        case E -> {
          byte[] pub = e.publicKey();
          out.writeBytes(pub);
          symmetric.mixHash(pub);
        }
        case S -> out.writeBytes(symmetric.encryptAndHash(s.publicKey()));
        default -> dh(token);
      }
    }
    out.writeBytes(symmetric.encryptAndHash(payload));
    if (out.size() > CipherState.MAX_MESSAGE_LENGTH) {
      throw new NoiseException("handshake message of " + out.size() + " bytes exceeds "
          + CipherState.MAX_MESSAGE_LENGTH + " (payload of " + payload.length + " bytes)");
    }
    message++;
    failed = false;
    return out.toByteArray();
  }

  /**
   * ReadMessage(message, payload_buffer): consumes the peer's next handshake message and returns
   * its payload.
   *
   * @throws NoiseException if the message is too short, a DH fails or a ciphertext does not
   *     authenticate
   */
  public byte[] readMessage(byte[] bytes) throws NoiseException {
    checkUsable();
    if (isMyTurn()) {
      throw new IllegalStateException("not this side's turn to read (message " + (message + 1) + ")");
    }
    if (bytes.length > CipherState.MAX_MESSAGE_LENGTH) {
      throw new NoiseException("handshake message of " + bytes.length + " bytes exceeds "
          + CipherState.MAX_MESSAGE_LENGTH);
    }
    failed = true; // until the message is complete
    ByteBuffer in = ByteBuffer.wrap(bytes);
    for (Token token : XX[message]) {
      switch (token) {
        case E -> {
          re = take(in, X25519KeyPair.KEY_LENGTH, "ephemeral key");
          symmetric.mixHash(re);
        }
        case S -> {
          int length = X25519KeyPair.KEY_LENGTH + (symmetric.hasKey() ? CipherState.TAG_LENGTH : 0);
          rs = symmetric.decryptAndHash(take(in, length, "static key"));
        }
        default -> dh(token);
      }
    }
    byte[] rest = new byte[in.remaining()];
    in.get(rest);
    byte[] payload = symmetric.decryptAndHash(rest);
    message++;
    failed = false;
    return payload;
  }

  private byte[] take(ByteBuffer in, int length, String what) throws NoiseException {
    if (in.remaining() < length) {
      throw new NoiseException("handshake message " + (message + 1) + " too short for its " + what);
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }

  /** The DH tokens (spec §5.3): "es" is DH(e, rs) for the initiator, DH(s, re) for the responder. */
  private void dh(Token token) throws NoiseException {
    boolean initiator = role == Role.INITIATOR;
    byte[] shared =
        switch (token) {
          case EE -> e.dh(re);
          case ES -> initiator ? e.dh(rs) : s.dh(re);
          case SE -> initiator ? s.dh(re) : e.dh(rs);
          case SS -> s.dh(rs);
          default -> throw new AssertionError(token);
        };
    symmetric.mixKey(shared);
  }

  private void checkUsable() {
    if (failed) {
      throw new IllegalStateException("the handshake failed earlier");
    }
    if (isFinished()) {
      throw new IllegalStateException("the handshake is finished");
    }
  }

  /** The peer's static public key, once its "s" has been read. */
  public byte[] remoteStaticKey() {
    if (rs == null) {
      throw new IllegalStateException("the peer's static key has not been received yet");
    }
    return rs.clone();
  }

  /** This side's static public key. */
  public byte[] localStaticKey() {
    return s.publicKey();
  }

  /** The handshake hash h (spec §11.2, channel binding), final once the handshake is finished. */
  public byte[] handshakeHash() {
    return symmetric.handshakeHash();
  }

  /**
   * Split(): the transport CipherStates, once. The initiator sends with the first and receives
   * with the second; the responder the other way round.
   */
  public TransportCiphers split() {
    if (!isFinished() || failed) {
      throw new IllegalStateException("the handshake is not finished");
    }
    if (split) {
      throw new IllegalStateException("already split");
    }
    split = true;
    CipherState[] c = symmetric.split();
    return role == Role.INITIATOR ? new TransportCiphers(c[0], c[1]) : new TransportCiphers(c[1], c[0]);
  }
}
