package io.canopy.storage.kubo;

import java.util.List;
import java.util.Locale;

/**
 * The error table of the Kubo RPC client: every way a call can fail, and how a daemon's error
 * answer ({@code {"Message":..,"Code":..,"Type":"error"}}, HTTP 500 for command errors, 400 for bad
 * arguments, 404 for unknown commands) is recognised. Kubo and js-ipfs word their messages
 * differently; the patterns below cover both (see {@link KuboDialect}). {@link KuboRpcClient} turns
 * {@link #BLOCK_NOT_FOUND} into {@code BlockNotFoundException} and pin failures into {@code
 * PinException}, the exceptions the rest of Canopy already handles.
 */
public enum KuboRpcError {
  /** No TCP connection: the daemon is not running, or not at this address. */
  UNREACHABLE("daemon unreachable (is it running, and is this its API address?)"),
  /** No answer, or not the whole answer, within the deadline. */
  TIMED_OUT("no answer in time"),
  /** The answer is larger than the limit for this endpoint. */
  RESPONSE_TOO_LARGE("answer too large"),
  /** The answer is not what the RPC documents (bad JSON, wrong fields, a CID that is not ours). */
  MALFORMED_RESPONSE("unexpected answer"),
  /** HTTP 401/403: the API wants credentials ({@code API.Authorizations}). */
  UNAUTHORIZED("not authorised (set the API authorization)"),
  /** HTTP 404/405: the daemon does not offer this command. */
  UNSUPPORTED_ENDPOINT("command not supported by this daemon"),
  /** Kubo {@code ipld: could not find <cid>}, {@code blockstore: block not found}, offline lookups. */
  BLOCK_NOT_FOUND("block not found", "ipld: could not find", "blockstore: block not found",
      "block was not found locally", "block not found", "not found locally"),
  /** Kubo {@code not pinned or pinned indirectly}, {@code path '..' is not pinned}; js-ipfs alike. */
  NOT_PINNED("not pinned", "not pinned"),
  /** Kubo and js-ipfs {@code pinned: recursive} / {@code pinned via ..} on block/rm. */
  BLOCK_PINNED("block is pinned", "pinned: ", "pinned via", "is pinned"),
  /** The daemon gave up on its own {@code timeout} (js-ipfs {@code request timed out}). */
  DAEMON_TIMEOUT("daemon-side timeout", "request timed out", "context deadline exceeded"),
  /** HTTP 400, or a 500 about the arguments: what was sent is wrong. */
  BAD_REQUEST("request rejected"),
  /** Any other error answer. */
  DAEMON_ERROR("daemon error");

  private final String summary;
  private final List<String> patterns;

  KuboRpcError(String summary, String... patterns) {
    this.summary = summary;
    this.patterns = List.of(patterns);
  }

  public String summary() {
    return summary;
  }

  /**
   * Classifies an error answer by HTTP status first (unknown command, auth), then by the daemon's
   * message; the order of the table decides between patterns (a pinned block is not "not pinned").
   */
  public static KuboRpcError classify(int httpStatus, String daemonMessage) {
    if (httpStatus == 401 || httpStatus == 403) {
      return UNAUTHORIZED;
    }
    if (httpStatus == 404 || httpStatus == 405) {
      return UNSUPPORTED_ENDPOINT;
    }
    String message = daemonMessage == null ? "" : daemonMessage.toLowerCase(Locale.ROOT);
    for (KuboRpcError e : List.of(BLOCK_NOT_FOUND, NOT_PINNED, BLOCK_PINNED, DAEMON_TIMEOUT)) {
      for (String p : e.patterns) {
        if (message.contains(p)) {
          return e;
        }
      }
    }
    if (httpStatus == 400) {
      return BAD_REQUEST;
    }
    return DAEMON_ERROR;
  }
}
