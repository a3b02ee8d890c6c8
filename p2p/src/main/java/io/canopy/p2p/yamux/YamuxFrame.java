package io.canopy.p2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.util.Objects;

/**
 * One yamux frame (hashicorp/yamux spec.md, "Framing"): the 12-byte header and, for a Data frame,
 * its payload.
 *
 * <p>Header fields, all big-endian: version (8 bits, always {@value #VERSION}), type (8 bits),
 * flags (16 bits), stream id (32 bits) and length (32 bits). The length means the payload length
 * for {@link Type#DATA}, the window delta for {@link Type#WINDOW_UPDATE}, an opaque value echoed
 * back for {@link Type#PING}, and the error code for {@link Type#GO_AWAY}. The stream id and the
 * length are unsigned 32-bit values carried in Java {@code int}s; use {@link #streamIdUnsigned()}
 * and {@link #lengthUnsigned()} to compare them.
 *
 * <p><b>Who releases it.</b> A frame is a {@link io.netty.buffer.ByteBufHolder}: whoever holds a
 * frame owns one reference to its payload and must {@link #release()} it (or hand it on). Frames
 * other than Data hold {@link Unpooled#EMPTY_BUFFER}, for which release does nothing, so any frame
 * may be released without looking at its type. {@link YamuxFrameCodec} releases the frames it
 * encodes; the frames it decodes belong to the next handler ({@link YamuxHandler}, which gives
 * them to {@link YamuxSession#receive}, which releases them).
 */
public final class YamuxFrame extends DefaultByteBufHolder {
  /** The only protocol version (spec: "the field is always set to 0"). */
  public static final int VERSION = 0;
  /** Size of the header in bytes. */
  public static final int HEADER_LENGTH = 12;

  /** Signals the start of a new stream; with Ping: a request. */
  public static final int FLAG_SYN = 0x1;
  /** Acknowledges the start of a new stream; with Ping: a response. */
  public static final int FLAG_ACK = 0x2;
  /** Half-closes a stream: the sender sends no further data. */
  public static final int FLAG_FIN = 0x4;
  /** Resets a stream immediately. */
  public static final int FLAG_RST = 0x8;

  /** Go Away error code: normal termination. */
  public static final int GO_AWAY_NORMAL = 0x0;
  /** Go Away error code: protocol error. */
  public static final int GO_AWAY_PROTOCOL_ERROR = 0x1;
  /** Go Away error code: internal error. */
  public static final int GO_AWAY_INTERNAL_ERROR = 0x2;

  /** The session's own stream id, used by Ping and Go Away. */
  public static final int SESSION_STREAM_ID = 0;

  /** The frame types of the spec's "Type Field". */
  public enum Type {
    DATA(0x0),
    WINDOW_UPDATE(0x1),
    PING(0x2),
    GO_AWAY(0x3);

    private static final Type[] BY_CODE = values();

    private final int code;

    Type(int code) {
      this.code = code;
    }

    /** The value of the type field. */
    public int code() {
      return code;
    }

    /** The type with this type-field value, or null if there is none. */
    public static Type ofCode(int code) {
      return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
  }

  private final Type type;
  private final int flags;
  private final int streamId;
  private final int length;

  YamuxFrame(Type type, int flags, int streamId, int length, ByteBuf payload) {
    super(payload);
    this.type = Objects.requireNonNull(type, "type");
    if ((flags & ~0xFFFF) != 0) {
      throw new IllegalArgumentException("flags do not fit in 16 bits: " + flags);
    }
    this.flags = flags;
    this.streamId = streamId;
    this.length = length;
  }

  /**
   * A Data frame carrying {@code payload}; the frame takes over the caller's reference to it. The
   * length field is the payload's readable bytes.
   */
  public static YamuxFrame data(int streamId, int flags, ByteBuf payload) {
    return new YamuxFrame(Type.DATA, flags, streamId, payload.readableBytes(), payload);
  }

  /** A Window Update frame adding {@code delta} (unsigned) to the receiver's send window. */
  public static YamuxFrame windowUpdate(int streamId, int flags, int delta) {
    return new YamuxFrame(Type.WINDOW_UPDATE, flags, streamId, delta, Unpooled.EMPTY_BUFFER);
  }

  /** A Ping frame: {@link #FLAG_SYN} to ask, {@link #FLAG_ACK} to answer with the same value. */
  public static YamuxFrame ping(int flags, int opaque) {
    return new YamuxFrame(Type.PING, flags, SESSION_STREAM_ID, opaque, Unpooled.EMPTY_BUFFER);
  }

  /** A Go Away frame with one of the {@code GO_AWAY_*} error codes. */
  public static YamuxFrame goAway(int errorCode) {
    return new YamuxFrame(Type.GO_AWAY, 0, SESSION_STREAM_ID, errorCode, Unpooled.EMPTY_BUFFER);
  }

  public Type type() {
    return type;
  }

  /** The 16-bit flags field. */
  public int flags() {
    return flags;
  }

  /** True if every bit of {@code flag} is set. */
  public boolean hasFlag(int flag) {
    return (flags & flag) == flag;
  }

  /** The stream id as a Java int (the wire value is unsigned). */
  public int streamId() {
    return streamId;
  }

  public long streamIdUnsigned() {
    return Integer.toUnsignedLong(streamId);
  }

  /** The length field as a Java int (the wire value is unsigned). */
  public int length() {
    return length;
  }

  public long lengthUnsigned() {
    return Integer.toUnsignedLong(length);
  }

  @Override
  public YamuxFrame replace(ByteBuf content) {
    return new YamuxFrame(type, flags, streamId, type == Type.DATA ? content.readableBytes() : length, content);
  }

  @Override
  public YamuxFrame copy() {
    return replace(content().copy());
  }

  @Override
  public YamuxFrame duplicate() {
    return replace(content().duplicate());
  }

  @Override
  public YamuxFrame retainedDuplicate() {
    return replace(content().retainedDuplicate());
  }

  @Override
  public YamuxFrame retain() {
    super.retain();
    return this;
  }

  @Override
  public YamuxFrame retain(int increment) {
    super.retain(increment);
    return this;
  }

  @Override
  public YamuxFrame touch() {
    super.touch();
    return this;
  }

  @Override
  public YamuxFrame touch(Object hint) {
    super.touch(hint);
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof YamuxFrame f
        && f.type == type
        && f.flags == flags
        && f.streamId == streamId
        && f.length == length
        && f.content().equals(content());
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, flags, streamId, length, content());
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("YamuxFrame(").append(type).append(", stream ").append(streamIdUnsigned());
    if (flags != 0) {
      sb.append(", flags");
      if (hasFlag(FLAG_SYN)) {
        sb.append(" SYN");
      }
      if (hasFlag(FLAG_ACK)) {
        sb.append(" ACK");
      }
      if (hasFlag(FLAG_FIN)) {
        sb.append(" FIN");
      }
      if (hasFlag(FLAG_RST)) {
        sb.append(" RST");
      }
      int other = flags & ~(FLAG_SYN | FLAG_ACK | FLAG_FIN | FLAG_RST);
      if (other != 0) {
        sb.append(" 0x").append(Integer.toHexString(other));
      }
    }
    return sb.append(", length ").append(lengthUnsigned()).append(')').toString();
  }
}
