package io.canopy.gateway.openai;

/**
 * Why an {@link InferenceBackend} could not serve a request. The subclasses say which; the
 * handler maps each to one entry of {@link OpenAiError}.
 */
public abstract sealed class InferenceException extends RuntimeException
    permits InferenceException.UnknownModel, InferenceException.Busy, InferenceException.Unavailable,
    InferenceException.Rejected {

  InferenceException(String message) {
    super(message);
  }

  /** No model by that id, or the model cannot do what was asked (→ 404 model_not_found). */
  public static final class UnknownModel extends InferenceException {
    public UnknownModel(String model) {
      super("The model `" + model + "` does not exist or you do not have access to it.");
    }
  }

  /** The backend is at capacity for now (→ 429). */
  public static final class Busy extends InferenceException {
    public Busy(String message) {
      super(message);
    }
  }

  /** The model is known but nothing serves it right now (→ 503). */
  public static final class Unavailable extends InferenceException {
    public Unavailable(String message) {
      super(message);
    }
  }

  /** The model refused the request itself: bad params for it, or a prompt longer than its context (→ 400). */
  public static final class Rejected extends InferenceException {
    private final String param;

    public Rejected(String message, String param) {
      super(message);
      this.param = param;
    }

    /** The request field at fault ({@code "messages"}, {@code "max_tokens"}, …), or null. */
    public String param() {
      return param;
    }
  }
}
