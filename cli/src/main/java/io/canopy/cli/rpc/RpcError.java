package io.canopy.cli.rpc;

/**
 * The API's one error table: each kind of failure, the HTTP status it is answered with and the
 * {@code Code} of Kubo's error body ({@code {"Message": …, "Code": …, "Type": "error"}}), where
 * Kubo uses 0 for a command that failed and 1 for a request the client got wrong.
 */
public enum RpcError {
  /** Malformed arguments or body (an invalid CID, a bad option value, a broken block stream). */
  BAD_REQUEST(400, 1),
  /** No {@code Authorization: Bearer} header, or not the daemon's token. */
  UNAUTHORIZED(401, 1),
  /** A browser's request to the token-free API ({@link RpcServer#withoutToken}). */
  FORBIDDEN(403, 1),
  /** No such route. */
  NOT_FOUND(404, 1),
  /** Anything but POST (Kubo's RPC API is POST-only, which keeps browsers' simple GETs out). */
  METHOD_NOT_ALLOWED(405, 1),
  /** The body is larger than the route accepts. */
  PAYLOAD_TOO_LARGE(413, 1),
  /** The body is not in the format the route reads. */
  UNSUPPORTED_MEDIA_TYPE(415, 1),
  /** The request is well-formed but the command failed (missing block, unpinned path…). */
  FAILED(500, 0),
  /** Too many requests in progress; the client may retry. */
  BUSY(503, 0);

  private final int httpStatus;
  private final int kuboCode;

  RpcError(int httpStatus, int kuboCode) {
    this.httpStatus = httpStatus;
    this.kuboCode = kuboCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int kuboCode() {
    return kuboCode;
  }

  /** The entry for an HTTP status a server answered with ({@link #FAILED} for any other). */
  public static RpcError ofStatus(int status) {
    for (RpcError e : values()) {
      if (e.httpStatus == status) {
        return e;
      }
    }
    return FAILED;
  }
}
