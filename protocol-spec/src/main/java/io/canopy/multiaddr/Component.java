package io.canopy.multiaddr;

import io.canopy.multiformats.Varint;
import java.util.Arrays;
import java.util.Objects;

/**
 * One {@code /protocol/value} step of a multiaddr. Immutable; the value is always valid for its
 * protocol. Equality is by protocol and binary value, so {@code /ip6/::1} and {@code
 * /ip6/0:0:0:0:0:0:0:1} are the same component.
 */
public final class Component {
  private final Protocol protocol;
  private final byte[] value;

  private Component(Protocol protocol, byte[] value) {
    this.protocol = protocol;
    this.value = value;
  }

  /** A component of a protocol that takes no value ({@code /tls}, {@code /p2p-circuit}). */
  public static Component of(Protocol protocol) {
    if (protocol.hasValue()) {
      throw new InvalidMultiaddrException("/" + protocol.specName() + " needs a value");
    }
    return new Component(protocol, new byte[0]);
  }

  /**
   * A component from the text of its value, as it appears after {@code /protocol/} — for {@link
   * Protocol#UNIX} the path itself ({@code "/tmp/node.sock"}).
   */
  public static Component of(Protocol protocol, String value) {
    Objects.requireNonNull(value, "value");
    if (!protocol.hasValue()) {
      if (value.isEmpty()) {
        return of(protocol);
      }
      throw new InvalidMultiaddrException(
          "/" + protocol.specName() + " takes no value, got " + InvalidMultiaddrException.quoted(value));
    }
    try {
      return new Component(protocol, protocol.format().parse(value));
    } catch (IllegalArgumentException e) {
      throw new InvalidMultiaddrException(
          "invalid value " + InvalidMultiaddrException.quoted(value) + " for /" + protocol.specName() + ": "
              + e.getMessage(), e);
    }
  }

  /** A component from its binary value (without the length prefix). */
  public static Component fromValueBytes(Protocol protocol, byte[] value) {
    byte[] copy = value.clone();
    checkValueBytes(protocol, copy);
    return new Component(protocol, copy);
  }

  /** As {@link #fromValueBytes}, taking ownership of {@code value} (no copy). */
  static Component ofOwnedBytes(Protocol protocol, byte[] value) {
    checkValueBytes(protocol, value);
    return new Component(protocol, value);
  }

  private static void checkValueBytes(Protocol protocol, byte[] value) {
    int bits = protocol.sizeBits();
    if (bits > 0 && value.length * 8 != bits) {
      throw new InvalidMultiaddrException(
          "/" + protocol.specName() + " value must be " + bits / 8 + " bytes, got " + value.length);
    }
    if (protocol.isVariableSize() && value.length == 0) {
      throw new InvalidMultiaddrException("/" + protocol.specName() + " value must not be empty");
    }
    try {
      protocol.format().validate(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidMultiaddrException("invalid /" + protocol.specName() + " value: " + e.getMessage(), e);
    }
  }

  public Protocol protocol() {
    return protocol;
  }

  /** The binary value: empty, fixed-size, or the bytes after the length prefix. */
  public byte[] valueBytes() {
    return value.clone();
  }

  /** The text value ("" for protocols without one); for {@link Protocol#UNIX} the path. */
  public String value() {
    return protocol.format().format(value);
  }

  /** {@code varint(code)}, then {@code varint(length)} if variable-size, then the value. */
  public byte[] toBytes() {
    byte[] out = new byte[encodedLength()];
    int offset = Varint.write(protocol.code(), out, 0);
    if (protocol.isVariableSize()) {
      offset = Varint.write(value.length, out, offset);
    }
    System.arraycopy(value, 0, out, offset, value.length);
    return out;
  }

  int encodedLength() {
    int length = Varint.size(protocol.code()) + value.length;
    return protocol.isVariableSize() ? length + Varint.size(value.length) : length;
  }

  /** {@code /name/value}, {@code /name} without a value, {@code /unix/path} for a path. */
  @Override
  public String toString() {
    if (!protocol.hasValue()) {
      return "/" + protocol.specName();
    }
    String text = value();
    // A path value starts with '/' already (go-multiaddr writes "/unix" + path).
    return protocol.isPath() ? "/" + protocol.specName() + text : "/" + protocol.specName() + "/" + text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Component c && c.protocol == protocol && Arrays.equals(c.value, value);
  }

  @Override
  public int hashCode() {
    return 31 * protocol.hashCode() + Arrays.hashCode(value);
  }
}
