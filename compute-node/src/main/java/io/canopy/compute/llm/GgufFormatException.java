package io.canopy.compute.llm;

import java.io.IOException;

/**
 * A GGUF file that cannot be read: bad magic, unsupported version, truncated data, an offset
 * outside the file, an unknown value or tensor type. The message says what and where (byte offset).
 */
public final class GgufFormatException extends IOException {
  public GgufFormatException(String message) {
    super(message);
  }

  public GgufFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
