package io.canopy.content.blockstore;

import io.canopy.content.block.Block;
import io.canopy.multiformats.Multicodec;
import java.nio.file.Path;
import java.util.Random;

/**
 * A separate JVM that stores 1 MiB blocks in a loop until it is killed, printing each CID once its
 * put has returned. {@link FileBlockstoreCrashTest} kills it mid-write.
 */
public final class BlockWritingProcess {
  private BlockWritingProcess() {}

  public static void main(String[] args) throws Exception {
    FileBlockstore store = FileBlockstore.open(Path.of(args[0]));
    Random random = new Random(Long.parseLong(args[1]));
    for (long i = 0; ; i++) {
      byte[] data = new byte[1024 * 1024];
      random.nextBytes(data);
      Block block = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, data);
      store.put(block);
      System.out.println("stored " + block.cid());
      System.out.flush();
    }
  }
}
