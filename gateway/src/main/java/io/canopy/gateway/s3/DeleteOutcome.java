package io.canopy.gateway.s3;

import java.util.Objects;

/** What happened to one key of a DeleteObjects request: a {@code <Deleted>} or {@code <Error>} entry. */
public sealed interface DeleteOutcome {
  String key();

  /** The key is gone (or never existed, which S3 reports the same way). */
  record Deleted(String key) implements DeleteOutcome {
    public Deleted {
      Objects.requireNonNull(key, "key");
    }
  }

  /** The key could not be deleted; a null message is the table's default message. */
  record Failed(String key, S3Error error, String message) implements DeleteOutcome {
    public Failed {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(error, "error");
      if (message == null) {
        message = error.defaultMessage();
      }
    }
  }
}
