package io.canopy.cli;

import io.canopy.identity.Ed25519PrivateKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code canopy id}: the node's identity as {@code ipfs id} prints it offline — its peer ID and
 * its public key (base64 of the libp2p key protobuf) — plus the agent version it announces.
 */
@Command(name = "id", description = "Show the node's peer ID and public key.")
final class IdCommand extends CanopyCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return run(() -> {
      Home home = home();
      HomeConfig config = home.readConfig();
      Ed25519PrivateKey key;
      try {
        key = config.privateKey();
      } catch (IllegalArgumentException e) {
        throw new CommandException(home.configFile() + ": " + e.getMessage(), e);
      }
      Map<String, Object> id = new LinkedHashMap<>();
      id.put("ID", key.peerId().toString());
      id.put("PublicKey", Base64.getEncoder().encodeToString(key.publicKey().toProtobuf()));
      id.put("AgentVersion", VersionCommand.agentVersion());
      println(HomeConfig.JSON.writeValueAsString(id));
    });
  }
}
