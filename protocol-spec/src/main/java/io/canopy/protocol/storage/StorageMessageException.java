package io.canopy.protocol.storage;

/** A storage-protocol message that does not decode or breaks a rule of spec/storage.md. */
public final class StorageMessageException extends RuntimeException {
  public StorageMessageException(String message) {
    super(message);
  }

  public StorageMessageException(String message, Throwable cause) {
    super(message, cause);
  }

  static StorageMessageException malformed(String what, RuntimeException cause) {
    return cause instanceof StorageMessageException sme ? sme
        : new StorageMessageException("malformed " + what + ": " + cause.getMessage(), cause);
  }
}
