package io.canopy.protobuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes protobuf wire format by hand, field by field, in the order called. Hand-written encoding
 * is used where byte-exact output matters (DAG-PB, UnixFS, signed payloads) and for the few small
 * libp2p messages; fields are written only when the caller writes them, so "absent" stays absent.
 */
public final class ProtoWriter {
  private final ByteArrayOutputStream out;

  public ProtoWriter() {
    this(64);
  }

  public ProtoWriter(int expectedSize) {
    this.out = new ByteArrayOutputStream(expectedSize);
  }

  public ProtoWriter varint(int field, long value) {
    tag(field, WireType.VARINT);
    rawVarint(value);
    return this;
  }

  public ProtoWriter bool(int field, boolean value) {
    return varint(field, value ? 1 : 0);
  }

  public ProtoWriter bytes(int field, byte[] value) {
    tag(field, WireType.LENGTH_DELIMITED);
    rawVarint(value.length);
    out.writeBytes(value);
    return this;
  }

  public ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A nested message, written from its encoded bytes. */
  public ProtoWriter message(int field, ProtoWriter nested) {
    return bytes(field, nested.toByteArray());
  }

  public ProtoWriter fixed32(int field, int value) {
    tag(field, WireType.FIXED32);
    for (int i = 0; i < 4; i++) {
      out.write(value >>> (8 * i));
    }
    return this;
  }

  private void tag(int field, int wireType) {
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  public int size() {
    return out.size();
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
