package io.canopy.gateway.openai;

/**
 * The OpenAI face's error table: every error it sends, with its HTTP status and the {@code type}
 * and {@code code} of OpenAI's error body {@code {"error": {"message", "type", "param", "code"}}},
 * in one place (as {@link io.canopy.gateway.s3.S3Error} is for S3). Types and codes are the ones
 * OpenAI's API returns for the same situations, so SDKs classify them the same way.
 */
public enum OpenAiError {
  /** Malformed JSON, a field of the wrong type, a missing or unsupported field; {@code param} names it. */
  INVALID_REQUEST(400, "invalid_request_error", null),
  /** No {@code Authorization: Bearer} header, or a key no account holds. */
  INVALID_API_KEY(401, "invalid_request_error", "invalid_api_key"),
  /** No model by that id. */
  MODEL_NOT_FOUND(404, "invalid_request_error", "model_not_found"),
  /** No operation at that path. */
  UNKNOWN_URL(404, "invalid_request_error", "unknown_url"),
  /** An operation exists at that path, but not for that method. */
  METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed"),
  /** The request body is over {@link OpenAiHandler#DEFAULT_MAX_BODY_BYTES} (or the face's limit). */
  REQUEST_TOO_LARGE(413, "invalid_request_error", "request_too_large"),
  /** The backend is at capacity; the client should retry later (SDKs retry 429 with backoff). */
  RATE_LIMITED(429, "requests", "rate_limit_exceeded"),
  /** A bug or an unexpected backend failure. */
  INTERNAL(500, "server_error", null),
  /** The model is known but no node serves it right now. */
  MODEL_UNAVAILABLE(503, "server_error", "model_unavailable");

  private final int status;
  private final String type;
  private final String code;

  OpenAiError(int status, String type, String code) {
    this.status = status;
    this.type = type;
    this.code = code;
  }

  public int status() {
    return status;
  }

  /** The body's {@code error.type}. */
  public String type() {
    return type;
  }

  /** The body's {@code error.code}, or null (sent as JSON {@code null}). */
  public String code() {
    return code;
  }
}
