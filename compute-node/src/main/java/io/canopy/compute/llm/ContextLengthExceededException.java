package io.canopy.compute.llm;

/** A session was asked to hold more tokens than its context length. */
public final class ContextLengthExceededException extends RuntimeException {
  public ContextLengthExceededException(String message) {
    super(message);
  }
}
