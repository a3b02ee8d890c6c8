package io.canopy.protobuf;

/** A protobuf message that does not decode; the message says which field and why. */
public class ProtoException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ProtoException(String message) {
    super(message);
  }
}
