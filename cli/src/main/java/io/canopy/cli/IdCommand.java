package io.canopy.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code canopy id}: the node's identity as {@code ipfs id} prints it — its peer ID and its public
 * key (base64 of the libp2p key protobuf), the agent version it announces, and, while a daemon
 * runs, the addresses it listens on.
 */
@Command(name = "id", description = "Show the node's peer ID and public key.")
final class IdCommand extends CanopyCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return run(() -> {
      Home home = home();
      home.requireInitialized();
      java.util.Optional<HttpNodeApi> daemon = HttpNodeApi.ifRunning(home);
      // Offline the config is enough (no lock: id works while another command holds the stores).
      Map<String, Object> id = daemon.isPresent() ? daemon.get().id() : RepoNodeApi.identity(home);
      println(HomeConfig.JSON.writeValueAsString(id));
    });
  }
}
