package io.canopy.gateway.openai;

/** A request the OpenAI face refuses: an entry of {@link OpenAiError}, a message, and the parameter at fault. */
public final class OpenAiException extends RuntimeException {
  private final OpenAiError error;
  private final String param;

  public OpenAiException(OpenAiError error, String message, String param) {
    super(message);
    this.error = error;
    this.param = param;
  }

  public OpenAiException(OpenAiError error, String message) {
    this(error, message, null);
  }

  public OpenAiError error() {
    return error;
  }

  /** The request parameter at fault ({@code error.param}), or null. */
  public String param() {
    return param;
  }
}
