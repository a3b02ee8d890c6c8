package io.canopy.compute.job;

import io.canopy.protocol.compute.ComputeMessage.Code;
import java.util.Objects;

/**
 * A job that did not run to its receipt, with the protocol's {@link Code}: thrown by a runtime to
 * refuse a job, and by {@link ComputeClient} when the node answered {@code Rejected}.
 */
public final class JobRejectedException extends RuntimeException {
  private final Code code;

  public JobRejectedException(Code code, String reason) {
    super(code + ": " + reason);
    this.code = Objects.requireNonNull(code, "code");
  }

  public Code code() {
    return code;
  }

  /** The reason without the code prefix. */
  public String reason() {
    return getMessage().substring(code.name().length() + 2);
  }
}
