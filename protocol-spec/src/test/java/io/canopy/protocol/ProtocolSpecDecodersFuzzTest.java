package io.canopy.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.KeyFormatException;
import io.canopy.identity.PeerId;
import io.canopy.identity.PublicKey;
import io.canopy.identity.PublicKeys;
import io.canopy.identity.RsaPublicKey;
import io.canopy.identity.Secp256k1PublicKey;
import io.canopy.multiaddr.InvalidMultiaddrException;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multihash;
import io.canopy.multiformats.Varint;
import io.canopy.protobuf.ProtoException;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protocol.compute.ComputeCodec;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.HoldingAck;
import io.canopy.protocol.storage.StorageCodec;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.protocol.storage.StorageMessageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Coverage-guided fuzzing (Jazzer) of every decoder of bytes or text in protocol-spec: what a
 * peer, a client or a file can hand them. One {@code @FuzzTest} (Jazzer fuzzes one per JVM) picks
 * a decoder with the first choice of the input and feeds it the rest. Each branch calls the real
 * decoder and catches only its documented refusal; anything else escapes and is a finding. Where
 * the format is canonical, a decoded value must re-encode to the very input; elsewhere it must
 * re-encode to bytes that decode to an equal value.
 *
 * <ul>
 *   <li>{@code CID_TEXT}, {@code CID_BYTES}: {@link Cid#parse}, {@link Cid#fromBytes}; refusal
 *       {@link InvalidCidException}. Text is either raw or the fuzzed bytes in a fuzzed multibase.
 *   <li>{@code MULTIADDR_TEXT}, {@code MULTIADDR_BYTES}: {@link Multiaddr#parse}, {@link
 *       Multiaddr#fromBytes}; refusal {@link InvalidMultiaddrException}.
 *   <li>{@code MULTIBASE}: {@link Multibase#decode}; refusal {@link IllegalArgumentException}.
 *   <li>{@code MULTIHASH}: {@link Multihash#fromBytes}; refusal {@link IllegalArgumentException}.
 *   <li>{@code VARINT}: {@link Varint#read(ByteBuffer)} (refusal {@link IllegalArgumentException})
 *       and {@link Varint#read(java.io.InputStream)} (refusal {@link IOException}).
 *   <li>{@code PEER_ID_TEXT}, {@code PEER_ID_BYTES}: {@link PeerId#parse}, {@link
 *       PeerId#fromBytes}, then the inline key ({@link PeerId#publicKey}); refusal {@link
 *       KeyFormatException}.
 *   <li>{@code PUBLIC_KEY}: {@link PublicKeys#decode} and the per-type {@code fromProtobuf}, then
 *       {@link PublicKey#verify} of a fuzzed signature (never throws); refusal {@link
 *       KeyFormatException}.
 *   <li>{@code PRIVATE_KEY}: {@link Ed25519PrivateKey#fromProtobuf}; refusal {@link
 *       KeyFormatException}.
 *   <li>{@code PROTO_READER}: {@link ProtoReader} driven field by field with fuzzed accessors, as
 *       a message decoder would call them; refusal {@link ProtoException}.
 *   <li>{@code POA}, {@code VERDICT}: {@link PoaCodec#decode} (fuzzed draw count), {@link
 *       Verdict#decode}; refusal {@link PoaMessageException}.
 *   <li>{@code COMPUTE}, {@code PARAMS}, {@code RECEIPT}, {@code COUNTERSIGNED_RECEIPT}: {@link
 *       ComputeCodec#decode} and the standalone decoders; refusal {@link ComputeMessageException}.
 *   <li>{@code STORAGE}, {@code DEAL}, {@code HOLDING_ACK}: {@link StorageCodec#decode}, {@link
 *       Deal#decode}, {@link HoldingAck#decode}; refusal {@link StorageMessageException}.
 * </ul>
 *
 * <p>Run it with {@code JAZZER_FUZZ=1}; without, it replays the inputs saved under {@code
 * ProtocolSpecDecodersFuzzTestInputs/decode} (every finding so far), which are its regression tests.
 */
class ProtocolSpecDecodersFuzzTest {
  /** Inputs longer than this say nothing new about a decoder and slow the fuzzer down. */
  private static final int MAX_INPUT = 64 * 1024;
  private static final HexFormat HEX = HexFormat.of();

  enum Decoder {
    CID_TEXT, CID_BYTES, MULTIADDR_TEXT, MULTIADDR_BYTES, MULTIBASE, MULTIHASH, VARINT, PEER_ID_TEXT, PEER_ID_BYTES,
    PUBLIC_KEY, PRIVATE_KEY, PROTO_READER, POA, VERDICT, COMPUTE, PARAMS, RECEIPT, COUNTERSIGNED_RECEIPT, STORAGE, DEAL,
    HOLDING_ACK
  }

  private static final Decoder[] DECODERS = Decoder.values();

  @FuzzTest
  void decode(FuzzedDataProvider data) throws IOException {
    Decoder decoder = DECODERS[data.consumeInt(0, DECODERS.length - 1)];
    switch (decoder) {
      case CID_TEXT -> cidText(text(data));
      case CID_BYTES -> cidBytes(bytes(data));
      case MULTIADDR_TEXT -> multiaddrText(data.consumeRemainingAsString());
      case MULTIADDR_BYTES -> multiaddrBytes(bytes(data));
      case MULTIBASE -> multibase(data.consumeRemainingAsString());
      case MULTIHASH -> multihash(bytes(data));
      case VARINT -> varint(bytes(data));
      case PEER_ID_TEXT -> peerIdText(text(data));
      case PEER_ID_BYTES -> peerIdBytes(bytes(data));
      case PUBLIC_KEY -> publicKey(data.consumeInt(0, 3), data.consumeBytes(512), bytes(data));
      case PRIVATE_KEY -> privateKey(bytes(data));
      case PROTO_READER -> protoReader(data);
      case POA -> poa(data.consumeInt(0, 64), bytes(data));
      case VERDICT -> roundTrip(bytes(data), Verdict::decode, Verdict::encode, PoaMessageException.class);
      case COMPUTE -> roundTrip(bytes(data), ComputeCodec::decode, ComputeCodec::encode, ComputeMessageException.class);
      case PARAMS -> roundTrip(bytes(data), Params::decode, Params::encode, ComputeMessageException.class);
      case RECEIPT -> roundTrip(bytes(data), Receipt::decode, Receipt::encode, ComputeMessageException.class);
      case COUNTERSIGNED_RECEIPT ->
          roundTrip(bytes(data), CountersignedReceipt::decode, CountersignedReceipt::encode, ComputeMessageException.class);
      case STORAGE -> roundTrip(bytes(data), StorageCodec::decode, StorageCodec::encode, StorageMessageException.class);
      case DEAL -> roundTrip(bytes(data), Deal::decode, Deal::encode, StorageMessageException.class);
      case HOLDING_ACK -> roundTrip(bytes(data), HoldingAck::decode, HoldingAck::encode, StorageMessageException.class);
    }
  }

  private static byte[] bytes(FuzzedDataProvider data) {
    return data.consumeBytes(MAX_INPUT);
  }

  /**
   * Text for the parsers of multibase-encoded values: raw text, or the fuzzed bytes written in a
   * fuzzed multibase (so that the fuzzer reaches the binary decoder behind the text one), or those
   * bytes as bare base58btc (CIDv0 and legacy peer IDs).
   */
  private static String text(FuzzedDataProvider data) {
    int form = data.consumeInt(0, 2);
    if (form == 0) {
      return data.consumeRemainingAsString();
    }
    Multibase base = Multibase.values()[data.consumeInt(0, Multibase.values().length - 1)];
    byte[] raw = data.consumeRemainingAsBytes();
    return form == 1 ? base.encode(raw) : Multibase.BASE58_BTC.encodeBare(raw);
  }

  // ---- multiformats -------------------------------------------------------------------------

  private static void cidText(String text) {
    Cid cid;
    try {
      cid = Cid.parse(text);
    } catch (InvalidCidException e) {
      return;
    }
    check(Cid.parse(cid.toString()).equals(cid), "CID text does not round-trip", text);
    check(Cid.fromBytes(cid.toBytes()).equals(cid), "CID bytes do not round-trip", text);
    if (cid.version() == 1) {
      for (Multibase base : Multibase.values()) {
        check(Cid.parse(cid.toString(base)).equals(cid), "CID in " + base.baseName() + " does not round-trip", text);
      }
    }
  }

  private static void cidBytes(byte[] bytes) {
    Cid cid;
    try {
      cid = Cid.fromBytes(bytes);
    } catch (InvalidCidException e) {
      return;
    }
    // Varints are minimal and nothing may trail, so the binary form is canonical.
    check(Arrays.equals(cid.toBytes(), bytes), "CID re-encodes to other bytes", bytes);
    check(Cid.parse(cid.toString()).equals(cid), "CID text does not round-trip", bytes);
  }

  private static void multiaddrText(String text) {
    Multiaddr addr;
    try {
      addr = Multiaddr.parse(text);
    } catch (InvalidMultiaddrException e) {
      return;
    }
    check(Multiaddr.parse(addr.toString()).equals(addr), "multiaddr text does not round-trip", text);
    check(Multiaddr.fromBytes(addr.toBytes()).equals(addr), "multiaddr bytes do not round-trip", text);
  }

  private static void multiaddrBytes(byte[] bytes) {
    Multiaddr addr;
    try {
      addr = Multiaddr.fromBytes(bytes);
    } catch (InvalidMultiaddrException e) {
      return;
    }
    check(Arrays.equals(addr.toBytes(), bytes), "multiaddr re-encodes to other bytes", bytes);
    check(Multiaddr.parse(addr.toString()).equals(addr), "multiaddr text does not round-trip", bytes);
    addr.peerId(); // a /p2p value was validated, so reading it back cannot fail
  }

  private static void multibase(String text) {
    byte[] decoded;
    try {
      decoded = Multibase.decode(text);
    } catch (IllegalArgumentException e) {
      return;
    }
    Multibase base = Multibase.byPrefix(text.charAt(0));
    check(Arrays.equals(Multibase.decode(base.encode(decoded)), decoded), base.baseName() + " does not round-trip", text);
  }

  private static void multihash(byte[] bytes) {
    Multihash mh;
    try {
      mh = Multihash.fromBytes(bytes);
    } catch (IllegalArgumentException e) {
      return;
    }
    check(Arrays.equals(mh.toBytes(), bytes), "multihash re-encodes to other bytes", bytes);
    mh.toString();
  }

  private static void varint(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    long fromBuffer;
    try {
      fromBuffer = Varint.read(buffer);
      check(fromBuffer >= 0, "varint read as negative", bytes);
      check(Arrays.equals(Varint.encode(fromBuffer), Arrays.copyOf(bytes, buffer.position())),
          "varint re-encodes to other bytes", bytes);
    } catch (IllegalArgumentException e) {
      fromBuffer = -2; // refused
    }
    long fromStream;
    try {
      fromStream = Varint.read(new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      fromStream = -2;
    }
    // The stream reader answers -1 for a clean end where the buffer reader refuses.
    long expected = bytes.length == 0 ? -1 : fromBuffer;
    check(fromStream == expected, "stream and buffer varint readers disagree (" + fromStream + ", " + fromBuffer + ")", bytes);
  }

  // ---- identity -----------------------------------------------------------------------------

  private static void peerIdText(String text) {
    PeerId id;
    try {
      id = PeerId.parse(text);
    } catch (KeyFormatException e) {
      return;
    }
    check(PeerId.parse(id.toString()).equals(id), "peer ID text does not round-trip", text);
    check(PeerId.parse(id.toCidString(Multibase.BASE36)).equals(id), "peer ID CID text does not round-trip", text);
    inlineKey(id);
  }

  private static void peerIdBytes(byte[] bytes) {
    PeerId id;
    try {
      id = PeerId.fromBytes(bytes);
    } catch (KeyFormatException e) {
      return;
    }
    check(Arrays.equals(id.toBytes(), bytes), "peer ID re-encodes to other bytes", bytes);
    check(PeerId.parse(id.toString()).equals(id), "peer ID text does not round-trip", bytes);
    inlineKey(id);
  }

  /** The key a peer ID inlines is read on every connection; it may be refused, nothing else. */
  private static void inlineKey(PeerId id) {
    try {
      id.publicKey();
      id.ed25519PublicKey();
    } catch (KeyFormatException e) {
      // an inline key that is not a valid key: documented refusal
    }
  }

  private static void publicKey(int decoder, byte[] signature, byte[] protobuf) {
    PublicKey key;
    try {
      key = switch (decoder) {
        case 0 -> PublicKeys.decode(protobuf);
        case 1 -> Ed25519PublicKey.fromProtobuf(protobuf);
        case 2 -> Secp256k1PublicKey.fromProtobuf(protobuf);
        default -> RsaPublicKey.fromProtobuf(protobuf);
      };
    } catch (KeyFormatException e) {
      return;
    }
    check(PublicKeys.decode(key.toProtobuf()).equals(key), "public key does not round-trip", protobuf);
    check(key.peerId().matches(key), "public key does not match its own peer ID", protobuf);
    key.verify(protobuf, signature); // a malformed signature is not valid; it must not throw
  }

  private static void privateKey(byte[] protobuf) {
    Ed25519PrivateKey key;
    try {
      key = Ed25519PrivateKey.fromProtobuf(protobuf);
    } catch (KeyFormatException e) {
      return;
    }
    check(Ed25519PrivateKey.fromProtobuf(key.toProtobuf()).equals(key), "private key does not round-trip", protobuf);
  }

  // ---- protobuf -----------------------------------------------------------------------------

  /** Reads a fuzzed message with fuzzed accessor calls: any call on any field either works or is a ProtoException. */
  private static void protoReader(FuzzedDataProvider data) {
    byte[] message = data.consumeBytes(data.consumeInt(0, 4096));
    ProtoReader r = new ProtoReader(message);
    try {
      while (r.next()) {
        check(r.field() > 0, "field number " + r.field(), message);
        switch (data.consumeInt(0, 5)) {
          case 0 -> r.varint();
          case 1 -> check(r.bytes().length <= message.length, "field longer than its message", message);
          case 2 -> r.string();
          case 3 -> r.fixed32();
          case 4 -> r.bool();
          default -> r.skip();
        }
      }
    } catch (ProtoException e) {
      // refused with a reason
    }
  }

  // ---- protocol messages --------------------------------------------------------------------

  private static void poa(int maxDraws, byte[] bytes) {
    roundTrip(bytes, b -> PoaCodec.decode(b, maxDraws), PoaCodec::encode, PoaMessageException.class);
  }

  /**
   * Decodes {@code bytes}; if they decode, the value re-encodes to bytes that decode to a value
   * that encodes the same. Messages are not canonical (field order, unknown fields), so the
   * comparison is of the re-encodings.
   */
  private static <T> void roundTrip(byte[] bytes, Function<byte[], T> decode, Function<T, byte[]> encode,
                                    Class<? extends RuntimeException> refusal) {
    T value;
    try {
      value = decode.apply(bytes);
    } catch (RuntimeException e) {
      if (refusal.isInstance(e)) {
        return;
      }
      throw e;
    }
    byte[] encoded = encode.apply(value);
    T again = decode.apply(encoded);
    check(Arrays.equals(encode.apply(again), encoded), value.getClass().getSimpleName() + " does not round-trip", bytes);
    if (value instanceof ComputeMessage || value instanceof StorageMessage || value instanceof PoaMessage) {
      check(again.getClass() == value.getClass(), "message changes type on a round trip", bytes);
    }
  }

  private static void check(boolean ok, String what, byte[] input) {
    if (!ok) {
      throw new AssertionError(what + ": input " + HEX.formatHex(input));
    }
  }

  private static void check(boolean ok, String what, String input) {
    if (!ok) {
      throw new AssertionError(what + ": input '" + input + "'");
    }
  }
}
