package io.canopy.storage.kubo;

import java.io.IOException;
import java.net.URI;

/**
 * A call to the IPFS daemon's RPC API failed: the daemon is unreachable or slow, answered with an
 * error, or sent something this client will not accept. The message names the daemon's URL and
 * the endpoint, so an operator can tell which daemon to look at.
 */
public class KuboRpcException extends IOException {
  private static final long serialVersionUID = 1L;

  private final KuboRpcError error;
  private final String endpoint;
  private final int httpStatus;
  private final String daemonMessage;

  public KuboRpcException(KuboRpcError error, URI apiUrl, String endpoint, int httpStatus, String daemonMessage, String detail, Throwable cause) {
    super(message(error, apiUrl, endpoint, httpStatus, detail), cause);
    this.error = error;
    this.endpoint = endpoint;
    this.httpStatus = httpStatus;
    this.daemonMessage = daemonMessage;
  }

  private static String message(KuboRpcError error, URI apiUrl, String endpoint, int httpStatus, String detail) {
    StringBuilder s = new StringBuilder("IPFS daemon at ").append(apiUrl).append(": ").append(endpoint);
    if (httpStatus > 0) {
      s.append(" (HTTP ").append(httpStatus).append(')');
    }
    s.append(": ").append(error.summary());
    if (detail != null && !detail.isEmpty()) {
      s.append(": ").append(detail);
    }
    return s.toString();
  }

  public KuboRpcError error() {
    return error;
  }

  /** The RPC command, e.g. {@code block/get}. */
  public String endpoint() {
    return endpoint;
  }

  /** The HTTP status, or -1 when no answer came. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The daemon's own {@code Message}, or null when it sent none. */
  public String daemonMessage() {
    return daemonMessage;
  }
}
