package io.canopy.cli;

import io.canopy.identity.Ed25519PrivateKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy init}: creates the home folder with a new Ed25519 identity, config.json, an empty
 * block store and pin database. Refuses a home that already has a config (its identity would be
 * lost), as {@code ipfs init} does.
 */
@Command(name = "init", description = "Create the node's home folder with a new identity.")
final class InitCommand extends CanopyCommand implements Callable<Integer> {

  @Option(
      names = "--storage-max",
      paramLabel = "SIZE",
      defaultValue = HomeConfig.DEFAULT_STORAGE_MAX,
      description = "Disk space the node may use for blocks (Datastore.StorageMax; default ${DEFAULT-VALUE}).")
  String storageMax;

  @Override
  public Integer call() {
    return run(() -> {
      ByteSize.parse(storageMax, "--storage-max");
      Home home = home();
      println("generating ED25519 keypair...done");
      Ed25519PrivateKey key = Repo.initialize(home, storageMax);
      println("peer identity: " + key.peerId());
      println("initialized Canopy home at " + home.dir());
    });
  }
}
