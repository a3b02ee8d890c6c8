package io.canopy.p2p;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multibase;
import io.canopy.p2p.identify.IdentifyMessage;
import io.canopy.p2p.kad.InvalidRecordException;
import io.canopy.p2p.kad.KadMessage;
import io.canopy.p2p.kad.KadProtocolException;
import io.canopy.p2p.kad.PublicKeyRecordValidator;
import io.canopy.p2p.kad.SignedRecord;
import io.canopy.p2p.kad.SignedRecordValidator;
import io.canopy.p2p.multistream.MultistreamException;
import io.canopy.p2p.multistream.MultistreamMessage;
import io.canopy.p2p.noise.NoiseException;
import io.canopy.p2p.noise.NoisePayload;
import io.canopy.p2p.noise.NoiseTransportFixture;
import io.canopy.p2p.ping.PingResponder;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.yamux.YamuxException;
import io.canopy.p2p.yamux.YamuxFrame;
import io.canopy.p2p.yamux.YamuxFrameCodec;
import io.canopy.protobuf.ProtoWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Coverage-guided fuzzing (Jazzer) of what p2p decodes from peers. One {@code @FuzzTest} (Jazzer
 * fuzzes one per JVM) picks a decoder with the first choice of the input and feeds it the rest.
 * Each branch calls the real decoder as the network path does — the static decoders directly, the
 * Netty decoders through an {@link EmbeddedChannel} in fuzzed chunks — and accepts only the
 * decoder's documented refusal; anything else escapes and is a finding. Decoded values must
 * re-encode to what was read (or to bytes that decode the same, for protobufs).
 *
 * <ul>
 *   <li>{@code MULTISTREAM}: {@link MultistreamMessage#read} message after message; refusal {@link
 *       MultistreamException}; a strict prefix of a message is incomplete (null), and a message
 *       {@link MultistreamMessage#write} accepts re-encodes to the bytes read.
 *   <li>{@code NOISE_PAYLOAD}: {@link NoisePayload#decode} and {@link NoisePayload#verify} against a
 *       fuzzed static key; refusal {@link NoiseException}.
 *   <li>{@code NOISE_TRANSPORT}: the Noise transport codec (length-prefixed ChaChaPoly frames)
 *       fed genuine, tampered and garbage frames; it refuses by closing the channel, never by
 *       throwing, and fires exactly the genuine plaintexts before the first bad frame.
 *   <li>{@code YAMUX}: {@link YamuxFrameCodec} (decoder); refusal a {@link DecoderException} caused by
 *       a {@link YamuxException} of reason PROTOCOL_ERROR; the frames re-encode to the bytes read.
 *   <li>{@code IDENTIFY}: {@link IdentifyMessage#decode}; refusal {@link IllegalArgumentException}.
 *   <li>{@code KAD_MESSAGE}: {@link KadMessage#decode}; refusal {@link KadProtocolException}.
 *   <li>{@code SIGNED_RECORD}: {@link SignedRecordValidator} on raw keys and values, and on records
 *       genuinely signed under fuzzed keys; refusal {@link InvalidRecordException}; an accepted
 *       record names the key it was stored under.
 *   <li>{@code PUBLIC_KEY_RECORD}: {@link PublicKeyRecordValidator}; refusal {@link InvalidRecordException}.
 *   <li>{@code VARINT_FRAMES}: {@link VarintFrameDecoder}; refusal {@link TooLongFrameException} or
 *       {@link CorruptedFrameException}; chunked input gives the frames the whole input gives.
 *   <li>{@code PING}: {@link PingResponder} echoes every whole 32 bytes and nothing else.
 * </ul>
 *
 * <p>Run it with {@code JAZZER_FUZZ=1}; without, it replays the inputs saved under {@code
 * P2pDecodersFuzzTestInputs/decode} (every finding so far), which are its regression tests.
 */
class P2pDecodersFuzzTest {
  private static final int MAX_INPUT = 64 * 1024;
  private static final HexFormat HEX = HexFormat.of();
  private static final NoiseTransportFixture NOISE = new NoiseTransportFixture(HEX.parseHex("07".repeat(32)));
  private static final Ed25519PrivateKey AUTHOR = Ed25519PrivateKey.fromSeed(HEX.parseHex("2a".repeat(32)));
  /** {@link SignedRecord}'s signing domain (spec'd in its javadoc; the constant is package-private). */
  private static final byte[] RECORD_DOMAIN = "canopy-dht-record:".getBytes(StandardCharsets.UTF_8);

  enum Decoder {
    MULTISTREAM, NOISE_PAYLOAD, NOISE_TRANSPORT, YAMUX, IDENTIFY, KAD_MESSAGE, SIGNED_RECORD, PUBLIC_KEY_RECORD,
    VARINT_FRAMES, PING
  }

  private static final Decoder[] DECODERS = Decoder.values();

  @FuzzTest
  void decode(FuzzedDataProvider data) throws Exception {
    switch (DECODERS[data.consumeInt(0, DECODERS.length - 1)]) {
      case MULTISTREAM -> multistream(data.consumeInt(1, MultistreamMessage.DEFAULT_MAX_MESSAGE_LENGTH), bytes(data));
      case NOISE_PAYLOAD -> noisePayload(data.consumeBytes(32), bytes(data));
      case NOISE_TRANSPORT -> noiseTransport(data);
      case YAMUX -> yamux(data.consumeInt(0, 4096), data.consumeInt(1, 256), bytes(data));
      case IDENTIFY -> roundTrip(bytes(data), IdentifyMessage::decode, IdentifyMessage::encode, IllegalArgumentException.class);
      case KAD_MESSAGE -> roundTrip(bytes(data), KadMessage::decode, KadMessage::encode, KadProtocolException.class);
      case SIGNED_RECORD -> signedRecord(data);
      case PUBLIC_KEY_RECORD -> publicKeyRecord(data);
      case VARINT_FRAMES -> varintFrames(data.consumeInt(0, 4096), data.consumeInt(1, 256), bytes(data));
      case PING -> ping(data.consumeInt(1, 100), bytes(data));
    }
  }

  private static byte[] bytes(FuzzedDataProvider data) {
    return data.consumeBytes(MAX_INPUT);
  }

  // ---- multistream-select ---------------------------------------------------------------------

  private static void multistream(int maxLength, byte[] wire) {
    ByteBuf in = Unpooled.wrappedBuffer(wire);
    try {
      while (true) {
        int start = in.readerIndex();
        String message = MultistreamMessage.read(in, maxLength);
        if (message == null) {
          check(in.readerIndex() == start, "an incomplete message moved the reader", wire);
          return;
        }
        int consumed = in.readerIndex() - start;
        ByteBuf prefix = Unpooled.wrappedBuffer(wire, start, consumed - 1);
        check(MultistreamMessage.read(prefix, maxLength) == null, "a strict prefix of a message is not incomplete", wire);
        ByteBuf out = Unpooled.buffer();
        try {
          MultistreamMessage.write(message, maxLength, out);
          check(Arrays.equals(ByteBufUtil.getBytes(out), Arrays.copyOfRange(wire, start, start + consumed)),
              "message re-encodes to other bytes", wire);
        } catch (IllegalArgumentException e) {
          // write refuses only what read may pass on: empty and multi-line text (answered "na")
          check(message.isEmpty() || message.indexOf('\n') >= 0, "read a message write refuses: " + e.getMessage(), wire);
        } finally {
          out.release();
        }
      }
    } catch (MultistreamException e) {
      // refused with a reason
    } finally {
      in.release();
    }
  }

  // ---- Noise --------------------------------------------------------------------------------

  private static void noisePayload(byte[] staticKey, byte[] bytes) {
    NoisePayload payload;
    try {
      payload = NoisePayload.decode(bytes);
    } catch (NoiseException e) {
      return;
    }
    NoisePayload again;
    try {
      again = NoisePayload.decode(payload.encode());
    } catch (NoiseException e) {
      throw new AssertionError("re-encoded payload does not decode: input " + HEX.formatHex(bytes), e);
    }
    check(Arrays.equals(again.identityKey(), payload.identityKey()) && Arrays.equals(again.identitySig(), payload.identitySig())
        && extensionsText(again).equals(extensionsText(payload)), "Noise payload does not round-trip", bytes);
    try {
      payload.verify(staticKey);
    } catch (NoiseException e) {
      // an identity key that does not decode, or a signature that does not verify
    }
  }

  private static String extensionsText(NoisePayload p) {
    NoisePayload.Extensions e = p.extensions() == null ? NoisePayload.Extensions.NONE : p.extensions();
    return e.webtransportCerthashes().stream().map(HEX::formatHex).toList() + " " + e.streamMuxers();
  }

  /**
   * Builds a wire of up to 16 frames, each genuine (sealed with the codec's key, in nonce order),
   * tampered (one ciphertext bit flipped) or garbage, and feeds it in fuzzed chunks.
   */
  private static void noiseTransport(FuzzedDataProvider data) throws NoiseException {
    NoiseTransportFixture.Sealer sealer = NOISE.sealer();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    boolean broken = false;
    boolean tamperedFirst = false;
    for (int i = 0; i < 16 && data.remainingBytes() > 0; i++) {
      int kind = data.consumeInt(0, 2);
      if (kind == 2) {
        byte[] garbage = data.consumeBytes(data.consumeInt(1, 64));
        wire.writeBytes(garbage);
        broken |= garbage.length > 0;
        continue;
      }
      byte[] plaintext = data.consumeBytes(data.consumeInt(0, 300));
      byte[] sealed = sealer.seal(plaintext);
      if (kind == 1) {
        int bit = data.consumeInt(0, sealed.length * 8 - 1);
        sealed[bit / 8] ^= (byte) (1 << (bit % 8));
        tamperedFirst |= !broken;
        broken = true;
      } else if (!broken) {
        expected.writeBytes(plaintext);
      }
      wire.write(sealed.length >>> 8);
      wire.write(sealed.length);
      wire.writeBytes(sealed);
    }
    int chunk = data.consumeInt(1, 512);
    byte[] bytes = wire.toByteArray();
    EmbeddedChannel channel = new EmbeddedChannel(NOISE.codec());
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    try {
      // The codec refuses a bad frame by closing the channel; nothing may be thrown.
      for (int at = 0; at < bytes.length && channel.isOpen(); at += chunk) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(chunk, bytes.length - at)));
        drainInto(channel, received);
      }
      drainInto(channel, received);
    } finally {
      channel.finishAndReleaseAll();
    }
    check(Arrays.equals(received.toByteArray(), expected.toByteArray()),
        "plaintext fired differs from the genuine frames before the first bad one", bytes);
    check(!tamperedFirst || !channel.isOpen(), "a tampered frame did not close the channel", bytes);
  }

  private static void drainInto(EmbeddedChannel channel, ByteArrayOutputStream out) {
    for (ByteBuf b; (b = channel.readInbound()) != null; ) {
      try {
        check(b.isReadable(), "an empty plaintext was fired", new byte[0]);
        out.writeBytes(ByteBufUtil.getBytes(b));
      } finally {
        b.release();
      }
    }
  }

  // ---- yamux --------------------------------------------------------------------------------

  private static void yamux(int maxDataLength, int chunk, byte[] wire) {
    EmbeddedChannel decoder = new EmbeddedChannel(new YamuxFrameCodec.Decoder(maxDataLength));
    EmbeddedChannel encoder = new EmbeddedChannel(new YamuxFrameCodec.Encoder());
    ByteArrayOutputStream reencoded = new ByteArrayOutputStream();
    boolean refused = false;
    try {
      for (int at = 0; at < wire.length; at += chunk) {
        try {
          decoder.writeInbound(Unpooled.wrappedBuffer(wire, at, Math.min(chunk, wire.length - at)));
        } catch (DecoderException e) {
          YamuxException cause = e.getCause() instanceof YamuxException y ? y : null;
          if (cause == null || cause.reason() != YamuxException.Reason.PROTOCOL_ERROR) {
            throw e;
          }
          check(!refused, "the decoder threw again after its first error", wire);
          refused = true;
        }
        for (YamuxFrame f; (f = decoder.readInbound()) != null; ) {
          check(refused || f.type() != YamuxFrame.Type.DATA || f.lengthUnsigned() <= maxDataLength,
              "Data frame over the limit passed", wire);
          encoder.writeOutbound(f); // the encoder releases the frame
          for (ByteBuf b; (b = encoder.readOutbound()) != null; ) {
            reencoded.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
          }
        }
      }
    } finally {
      decoder.finishAndReleaseAll();
      encoder.finishAndReleaseAll();
    }
    byte[] out = reencoded.toByteArray();
    check(out.length <= wire.length && Arrays.equals(out, Arrays.copyOf(wire, out.length)),
        "frames do not re-encode to the bytes they were read from", wire);
    if (!refused) {
      // What is left is an incomplete frame: a partial header, or a Data frame's partial payload.
      int left = wire.length - out.length;
      check(left < YamuxFrame.HEADER_LENGTH || (wire[out.length + 1] == 0
              && left < YamuxFrame.HEADER_LENGTH + Integer.toUnsignedLong(readInt(wire, out.length + 8))),
          "a whole frame was left undecoded", wire);
    }
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  // ---- Kademlia records -----------------------------------------------------------------------

  private static void signedRecord(FuzzedDataProvider data) {
    SignedRecordValidator validator = new SignedRecordValidator();
    if (data.consumeBoolean()) {
      byte[] key = data.consumeBytes(data.consumeInt(0, 300));
      byte[] value = bytes(data);
      try {
        validator.validate(key, value);
      } catch (InvalidRecordException e) {
        return;
      }
      check(Arrays.equals(SignedRecord.verify(key, value).key(), key), "record verified under another key", key);
      return;
    }
    // A record its author really signed, under a key of fuzzed form: the peer ID in any text
    // form, any name bytes. Accepted only if the key is the record's own.
    PeerId author = AUTHOR.peerId();
    String peer = switch (data.consumeInt(0, 2)) {
      case 0 -> author.toString();
      case 1 -> author.toCidString(Multibase.values()[data.consumeInt(0, Multibase.values().length - 1)]);
      default -> data.consumeString(80);
    };
    ByteArrayOutputStream keyBytes = new ByteArrayOutputStream();
    keyBytes.writeBytes(("/" + SignedRecord.NAMESPACE + "/" + peer + "/").getBytes(StandardCharsets.UTF_8));
    keyBytes.writeBytes(data.consumeBytes(data.consumeInt(0, 200)));
    byte[] key = keyBytes.toByteArray();
    long sequence = data.consumeLong();
    byte[] payload = data.consumeRemainingAsBytes();
    byte[] body = new ProtoWriter().bytes(1, key).varint(2, sequence).bytes(3, payload).toByteArray();
    byte[] signed = new byte[RECORD_DOMAIN.length + body.length];
    System.arraycopy(RECORD_DOMAIN, 0, signed, 0, RECORD_DOMAIN.length);
    System.arraycopy(body, 0, signed, RECORD_DOMAIN.length, body.length);
    byte[] value = new ProtoWriter().bytes(1, AUTHOR.publicKey().toProtobuf()).varint(2, sequence).bytes(3, payload)
        .bytes(4, AUTHOR.sign(signed)).toByteArray();
    SignedRecord record;
    try {
      record = SignedRecord.verify(key, value);
    } catch (InvalidRecordException e) {
      return;
    }
    check(Arrays.equals(record.key(), key), "record verified under a key that is not its own: " + record, key);
    check(record.author().equals(author) && record.sequence() == sequence && Arrays.equals(record.payload(), payload),
        "record read back differs from the one signed", key);
  }

  private static void publicKeyRecord(FuzzedDataProvider data) {
    byte[] value = data.consumeBytes(data.consumeInt(0, 600));
    byte[] key;
    if (data.consumeBoolean()) {
      key = data.consumeRemainingAsBytes();
    } else {
      byte[] peer = data.consumeRemainingAsBytes();
      key = new byte[4 + peer.length];
      System.arraycopy("/pk/".getBytes(StandardCharsets.US_ASCII), 0, key, 0, 4);
      System.arraycopy(peer, 0, key, 4, peer.length);
    }
    try {
      new PublicKeyRecordValidator().validate(key, value);
    } catch (InvalidRecordException e) {
      return;
    }
    check(Arrays.equals(key, concat("/pk/".getBytes(StandardCharsets.US_ASCII), PeerId.fromPublicKeyProtobuf(value).toBytes())),
        "/pk/ record accepted under another key", key);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ---- stream framing and ping --------------------------------------------------------------

  /** The frames of {@code wire} fed in chunks must be those of {@code wire} fed whole. */
  private static void varintFrames(int maxFrameLength, int chunk, byte[] wire) {
    List<byte[]> whole = new ArrayList<>();
    RuntimeException wholeError = feed(new VarintFrameDecoder(maxFrameLength), List.of(wire), whole);
    List<byte[]> chunks = new ArrayList<>();
    for (int at = 0; at < wire.length; at += chunk) {
      chunks.add(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + chunk)));
    }
    List<byte[]> chunked = new ArrayList<>();
    RuntimeException chunkedError = feed(new VarintFrameDecoder(maxFrameLength), chunks, chunked);
    check((wholeError == null) == (chunkedError == null), "chunking changed whether the input is refused", wire);
    check(whole.size() == chunked.size(), "chunking changed the number of frames", wire);
    for (int i = 0; i < whole.size(); i++) {
      check(Arrays.equals(whole.get(i), chunked.get(i)), "chunking changed frame " + i, wire);
      check(whole.get(i).length <= maxFrameLength, "frame over the limit passed", wire);
    }
  }

  /**
   * Feeds {@code chunks}, then closes the channel; returns the decoder's refusal, if any. After
   * one, nothing more may be read or thrown: the bytes that follow a refused length are not frames.
   */
  private static RuntimeException feed(ChannelHandler decoder, List<byte[]> chunks, List<byte[]> frames) {
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    RuntimeException refusal = null;
    try {
      for (byte[] c : chunks) {
        int before = frames.size();
        try {
          channel.writeInbound(Unpooled.wrappedBuffer(c));
        } catch (TooLongFrameException | CorruptedFrameException e) {
          check(refusal == null, "the decoder refused again after its first refusal", c);
          refusal = e;
          before = -1; // frames before the error in this chunk are fine
        }
        for (ByteBuf b; (b = channel.readInbound()) != null; ) {
          frames.add(ByteBufUtil.getBytes(b));
          b.release();
        }
        check(refusal == null || before < 0 || frames.size() == before, "a frame was read after a refusal", c);
      }
    } finally {
      int before = frames.size();
      channel.finish(); // decodes what is left, as a closing stream does
      for (Object o; (o = channel.readInbound()) != null; ) {
        frames.add(ByteBufUtil.getBytes((ByteBuf) o));
        ((ByteBuf) o).release();
      }
      check(refusal == null || frames.size() == before, "a frame was read at close after a refusal", new byte[0]);
    }
    return refusal;
  }

  private static void ping(int chunk, byte[] wire) {
    EmbeddedChannel channel = new EmbeddedChannel(new PingResponder());
    ByteArrayOutputStream echoed = new ByteArrayOutputStream();
    try {
      for (int at = 0; at < wire.length; at += chunk) {
        channel.writeInbound(Unpooled.wrappedBuffer(wire, at, Math.min(chunk, wire.length - at)));
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
          echoed.writeBytes(ByteBufUtil.getBytes(b));
          b.release();
        }
      }
    } finally {
      channel.finishAndReleaseAll();
    }
    check(Arrays.equals(echoed.toByteArray(), Arrays.copyOf(wire, wire.length / 32 * 32)),
        "ping echo differs from the whole payloads received", wire);
  }

  // ---- helpers ------------------------------------------------------------------------------

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
    check(Arrays.equals(encode.apply(decode.apply(encoded)), encoded), value.getClass().getSimpleName() + " does not round-trip",
        bytes);
  }

  private static void check(boolean ok, String what, byte[] input) {
    if (!ok) {
      throw new AssertionError(what + ": input " + HEX.formatHex(input));
    }
  }
}
