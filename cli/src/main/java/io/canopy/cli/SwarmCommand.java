package io.canopy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy swarm connect|peers}: the running daemon's connections, as {@code ipfs swarm}.
 * Only a daemon has connections, so both fail, saying how to start one, when none runs.
 */
@Command(name = "swarm", description = "Connect the running daemon to peers and list them, as `ipfs swarm` does.")
final class SwarmCommand extends CanopyCommand {

  @Command(name = "connect", description = "Connect to a peer (MULTIADDR must end with /p2p/<peer ID>).")
  int connect(@Parameters(paramLabel = "MULTIADDR", arity = "1..*") java.util.List<String> addrs) {
    return run(() -> {
      try (NodeApi node = daemon()) {
        for (String addr : addrs) {
          println("connect " + node.swarmConnect(addr) + " success");
        }
      }
    });
  }

  @Command(name = "peers", description = "List connected peers, one /ip4/…/tcp/…/p2p/<peer ID> per line.")
  int peers() {
    return run(() -> {
      try (NodeApi node = daemon()) {
        for (String peer : node.swarmPeers()) {
          println(peer);
        }
      }
    });
  }
}
