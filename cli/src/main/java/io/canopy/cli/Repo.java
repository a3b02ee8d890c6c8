package io.canopy.cli;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.pin.PinStore;
import io.canopy.identity.Ed25519PrivateKey;
import java.io.IOException;
import java.security.SecureRandom;

/**
 * The stores of an initialized home, opened under its lock: blocks in {@code blocks/}, pins in
 * {@code canopy.db}. Every command that reads or writes blocks or pins opens one and closes it
 * when done, which releases the lock.
 */
final class Repo implements AutoCloseable {
  private final Home.Lock lock;
  private final FileBlockstore blocks;
  private final PinStore pins;

  private Repo(Home.Lock lock, FileBlockstore blocks, PinStore pins) {
    this.lock = lock;
    this.blocks = blocks;
    this.pins = pins;
  }

  /** Opens the stores of {@code home}, which must be initialized and not in use. */
  static Repo open(Home home) throws IOException {
    home.requireInitialized();
    Home.Lock lock = home.lock();
    try {
      FileBlockstore blocks = FileBlockstore.open(home.blocksDir());
      return new Repo(lock, blocks, new PinStore(home.databaseFile(), blocks));
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Creates a new home: a fresh Ed25519 identity, empty stores, then config.json, which is what
   * marks the home as initialized (so a crash midway leaves a home that init can finish).
   */
  static Ed25519PrivateKey initialize(Home home, String storageMax) throws IOException {
    try (Home.Lock lock = home.createAndLock()) {
      Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
      FileBlockstore blocks = FileBlockstore.open(home.blocksDir());
      new PinStore(home.databaseFile(), blocks).close();
      home.writeNewConfig(HomeConfig.forNewNode(key, storageMax));
      return key;
    }
  }

  FileBlockstore blocks() {
    return blocks;
  }

  PinStore pins() {
    return pins;
  }

  @Override
  public void close() throws IOException {
    try {
      blocks.sync(); // blocks stored without a pin (add --pin=false, block put) are durable too
      pins.close();
    } finally {
      lock.close();
    }
  }
}
