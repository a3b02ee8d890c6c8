package io.canopy.validator.cosign;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.UnaryRpc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/** {@code /canopy/cosign/1.0.0} on the wire: one {@link CosignMessage} each way per stream (the unary shape of chapter 2). */
public final class CosignProtocol {
  private CosignProtocol() {}

  /**
   * Serves the protocol: {@code answer} gets the remote peer and its request; a request that does
   * not decode is answered with {@code refused} and the reason.
   */
  public static StreamHandler serve(Duration timeout, BiFunction<PeerId, CosignMessage, CompletableFuture<CosignMessage>> answer) {
    return UnaryRpc.serve(CosignMessage.MAX_SIZE, timeout, (connection, bytes) -> {
      CosignMessage request;
      try {
        request = CosignMessage.decode(bytes);
      } catch (IllegalArgumentException e) {
        return CompletableFuture.completedFuture(CosignMessage.encode(new CosignMessage.Refused(String.valueOf(e.getMessage()))));
      }
      return answer.apply(connection.remotePeer(), request).thenApply(CosignMessage::encode);
    });
  }

  public static CompletableFuture<CosignMessage> call(Host host, PeerId peer, CosignMessage request, Duration timeout) {
    return UnaryRpc.call(host, peer, CosignMessage.PROTOCOL_ID, CosignMessage.encode(request), CosignMessage.MAX_SIZE, timeout)
        .thenApply(CosignMessage::decode);
  }
}
