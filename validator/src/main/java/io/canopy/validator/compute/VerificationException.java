package io.canopy.validator.compute;

/** A job record or fraud proof rejected, with the {@link VerificationFailure} and a reason for humans. */
public final class VerificationException extends RuntimeException {
  private final VerificationFailure failure;

  public VerificationException(VerificationFailure failure, String reason) {
    super(failure + ": " + reason);
    this.failure = failure;
  }

  public VerificationException(VerificationFailure failure, String reason, Throwable cause) {
    super(failure + ": " + reason, cause);
    this.failure = failure;
  }

  public VerificationFailure failure() {
    return failure;
  }
}
