package io.canopy.storage.poa;

import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.poa.Challenge;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Binds {@link PoaProver} to {@code /canopy/poa/1.0.0}: one challenge or deals request in (at
 * most {@link Challenge#MAX_SIZE} bytes plus its envelope; a deals request is far smaller), one
 * proof, page of held deals or refusal out, on {@code worker} because both read the disk.
 */
public final class PoaProtocol {
  /** The stream is reset if the prover has not answered by then; the validator's own deadline is far shorter. */
  public static final Duration SERVE_TIMEOUT = Duration.ofMinutes(2);
  private static final int MAX_REQUEST = Challenge.MAX_SIZE + 16;

  private PoaProtocol() {}

  public static StreamHandler handler(PoaProver prover, Executor worker) {
    return UnaryRpc.serve(MAX_REQUEST, SERVE_TIMEOUT,
        (connection, request) -> CompletableFuture.supplyAsync(() -> prover.answer(connection.remotePeer(), request), worker));
  }
}
