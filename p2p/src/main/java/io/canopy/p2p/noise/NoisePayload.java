package io.canopy.p2p.noise;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.KeyFormatException;
import io.canopy.identity.PeerId;
import io.canopy.identity.PublicKey;
import io.canopy.identity.PublicKeys;
import io.canopy.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The libp2p Noise handshake payload (libp2p specs, noise/README.md §The libp2p Handshake
 * Payload), encoded and decoded by hand:
 *
 * <pre>
 * message NoiseExtensions {
 *   repeated bytes webtransport_certhashes = 1;
 *   repeated string stream_muxers = 2;
 * }
 * message NoiseHandshakePayload {
 *   bytes identity_key = 1;          // the libp2p PublicKey protobuf
 *   bytes identity_sig = 2;          // over "noise-libp2p-static-key:" || Noise static key
 *   NoiseExtensions extensions = 4;
 * }
 * </pre>
 *
 * It binds the Noise static key to the libp2p identity: whoever holds the identity key signed
 * this static key, so the peer that completed the handshake is that identity.
 */
public final class NoisePayload {
  /** The prefix of the signed data (spec §Static Key Authentication). */
  public static final String SIGNATURE_PREFIX = "noise-libp2p-static-key:";

  private static final int WIRE_VARINT = 0;
  private static final int WIRE_I64 = 1;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_I32 = 5;

  /** The optional extensions; Canopy sends none yet, but reads them. */
  public record Extensions(List<byte[]> webtransportCerthashes, List<String> streamMuxers) {
    public static final Extensions NONE = new Extensions(List.of(), List.of());

    public Extensions {
      webtransportCerthashes = webtransportCerthashes.stream().map(byte[]::clone).toList();
      streamMuxers = List.copyOf(streamMuxers);
    }

    @Override
    public List<byte[]> webtransportCerthashes() {
      return webtransportCerthashes.stream().map(byte[]::clone).toList();
    }

    boolean isEmpty() {
      return webtransportCerthashes.isEmpty() && streamMuxers.isEmpty();
    }
  }

  private final byte[] identityKey;
  private final byte[] identitySig;
  private final Extensions extensions;

  public NoisePayload(byte[] identityKey, byte[] identitySig, Extensions extensions) {
    this.identityKey = identityKey.clone();
    this.identitySig = identitySig.clone();
    this.extensions = extensions;
  }

  /** The payload for {@code identity}, signing {@code noiseStaticKey} (this side's s). */
  public static NoisePayload signed(Ed25519PrivateKey identity, byte[] noiseStaticKey, Extensions extensions) {
    return new NoisePayload(
        identity.publicKey().toProtobuf(), identity.sign(signedData(noiseStaticKey)), extensions);
  }

  /** The bytes the identity key signs: the UTF-8 prefix, then the 32-byte static key. */
  public static byte[] signedData(byte[] noiseStaticKey) {
    byte[] prefix = SIGNATURE_PREFIX.getBytes(StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOf(prefix, prefix.length + noiseStaticKey.length);
    System.arraycopy(noiseStaticKey, 0, data, prefix.length, noiseStaticKey.length);
    return data;
  }

  public byte[] identityKey() {
    return identityKey.clone();
  }

  public byte[] identitySig() {
    return identitySig.clone();
  }

  public Extensions extensions() {
    return extensions;
  }

  /**
   * Checks that the identity key signed {@code remoteStaticKey} (the static key the Noise
   * handshake authenticated) and returns the peer ID of that identity.
   *
   * <p>The identity key may be of any type {@link PublicKeys#decode} knows (Ed25519, Secp256k1,
   * RSA); the peer ID is derived from the key as decoded and re-encoded, so a peer cannot pick
   * between two encodings of one key.
   *
   * @throws NoiseException if the key does not decode or the signature does not verify
   */
  public PeerId verify(byte[] remoteStaticKey) throws NoiseException {
    if (identityKey.length == 0) {
      throw new NoiseException("handshake payload has no identity key");
    }
    PublicKey key;
    try {
      key = PublicKeys.decode(identityKey);
    } catch (KeyFormatException e) {
      throw new NoiseException("handshake payload identity key: " + e.getMessage(), e);
    }
    if (!key.verify(signedData(remoteStaticKey), identitySig)) {
      throw new NoiseException(
          "identity signature does not verify: " + key.peerId() + " did not sign this Noise static key");
    }
    return key.peerId();
  }

  /** The protobuf encoding: fields in number order, extensions left out when empty. */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(identityKey.length + identitySig.length + 8);
    writeBytes(out, 1, identityKey);
    writeBytes(out, 2, identitySig);
    if (extensions != null && !extensions.isEmpty()) {
      ByteArrayOutputStream ext = new ByteArrayOutputStream();
      for (byte[] hash : extensions.webtransportCerthashes) {
        writeBytes(ext, 1, hash);
      }
      for (String muxer : extensions.streamMuxers) {
        writeBytes(ext, 2, muxer.getBytes(StandardCharsets.UTF_8));
      }
      writeBytes(out, 4, ext.toByteArray());
    }
    return out.toByteArray();
  }

  private static void writeBytes(ByteArrayOutputStream out, int field, byte[] value) {
    out.writeBytes(Varint.encode(((long) field << 3) | WIRE_LEN));
    out.writeBytes(Varint.encode(value.length));
    out.writeBytes(value);
  }

  /**
   * Decodes a payload as a proto3 parser would: unknown fields skipped, the last of a repeated
   * singular field wins, absent fields empty.
   *
   * @throws NoiseException if the bytes are not a valid protobuf of this shape
   */
  public static NoisePayload decode(byte[] bytes) throws NoiseException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte[] key = new byte[0];
    byte[] sig = new byte[0];
    Extensions extensions = null;
    while (in.hasRemaining()) {
      long tag = readVarint(in);
      long field = tag >>> 3;
      int wire = (int) (tag & 7);
      if (field == 1) {
        key = readLengthDelimited(in, wire, "identity_key");
      } else if (field == 2) {
        sig = readLengthDelimited(in, wire, "identity_sig");
      } else if (field == 4) {
        extensions = decodeExtensions(readLengthDelimited(in, wire, "extensions"));
      } else {
        skip(in, wire);
      }
    }
    return new NoisePayload(key, sig, extensions);
  }

  private static Extensions decodeExtensions(byte[] bytes) throws NoiseException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<byte[]> hashes = new ArrayList<>();
    List<String> muxers = new ArrayList<>();
    while (in.hasRemaining()) {
      long tag = readVarint(in);
      long field = tag >>> 3;
      int wire = (int) (tag & 7);
      if (field == 1) {
        hashes.add(readLengthDelimited(in, wire, "webtransport_certhashes"));
      } else if (field == 2) {
        muxers.add(utf8(readLengthDelimited(in, wire, "stream_muxers")));
      } else {
        skip(in, wire);
      }
    }
    return new Extensions(hashes, muxers);
  }

  private static String utf8(byte[] bytes) throws NoiseException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new NoiseException("handshake payload: stream_muxers entry is not valid UTF-8");
    }
  }

  /** A protobuf varint: up to 10 bytes, 64 bits. */
  private static long readVarint(ByteBuffer in) throws NoiseException {
    long value = 0;
    for (int i = 0; i < 10; i++) {
      if (!in.hasRemaining()) {
        throw new NoiseException("handshake payload: truncated varint");
      }
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new NoiseException("handshake payload: varint longer than 10 bytes");
  }

  private static byte[] readLengthDelimited(ByteBuffer in, int wire, String name) throws NoiseException {
    if (wire != WIRE_LEN) {
      throw new NoiseException("handshake payload: " + name + " has wire type " + wire + ", expected 2");
    }
    long length = readVarint(in);
    if (length < 0 || length > in.remaining()) {
      throw new NoiseException("handshake payload: " + name + " of " + length + " bytes, only "
          + in.remaining() + " left");
    }
    byte[] b = new byte[(int) length];
    in.get(b);
    return b;
  }

  private static void skip(ByteBuffer in, int wire) throws NoiseException {
    switch (wire) {
      case WIRE_VARINT -> readVarint(in);
      case WIRE_I64 -> advance(in, 8);
      case WIRE_LEN -> readLengthDelimited(in, wire, "unknown field");
      case WIRE_I32 -> advance(in, 4);
      default -> throw new NoiseException("handshake payload: unsupported wire type " + wire);
    }
  }

  private static void advance(ByteBuffer in, int n) throws NoiseException {
    if (in.remaining() < n) {
      throw new NoiseException("handshake payload: truncated field");
    }
    in.position(in.position() + n);
  }
}
