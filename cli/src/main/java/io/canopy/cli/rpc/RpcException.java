package io.canopy.cli.rpc;

/**
 * A failure with its place in {@link RpcError}: thrown by handlers and the server to choose the
 * status, and by {@link RpcClient} to report what the server answered. The message is the one
 * line the user reads.
 */
public class RpcException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final RpcError error;

  public RpcException(RpcError error, String message) {
    super(message);
    this.error = error;
  }

  public RpcException(RpcError error, String message, Throwable cause) {
    super(message, cause);
    this.error = error;
  }

  public static RpcException badRequest(String message) {
    return new RpcException(RpcError.BAD_REQUEST, message);
  }

  public RpcError error() {
    return error;
  }
}
