package io.canopy.storage;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.storage.StorageCodec;
import io.canopy.protocol.storage.StorageMessage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Sends one storage-protocol request to a peer and decodes its reply. */
public final class StorageClient {
  private final Host host;

  public StorageClient(Host host) {
    this.host = host;
  }

  public CompletableFuture<StorageMessage> request(PeerId peer, StorageMessage request, Duration timeout) {
    return UnaryRpc.call(host, peer, StorageMessage.PROTOCOL_ID, StorageCodec.encode(request), StorageMessage.MAX_SIZE, timeout)
        .thenApply(StorageCodec::decode);
  }
}
