package io.canopy.cli;

import io.canopy.content.block.Block;
import io.canopy.content.dagpb.DagPb;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy block get|put|stat|rm}: single raw blocks, as {@code ipfs block}. {@code put} makes
 * CIDv1s (Kubo's default since 0.19), with the raw codec unless told dag-pb.
 */
@Command(name = "block", description = "Read and write single blocks, as `ipfs block` does.")
final class BlockCommand extends CanopyCommand {

  @Command(name = "get", description = "Write a block's bytes to stdout.")
  int get(@Parameters(paramLabel = "CID") String cidText) {
    return run(() -> {
      Cid cid = Cid.parse(cidText);
      try (NodeApi node = node()) {
        out().write(node.blockGet(cid));
      }
    });
  }

  @Command(name = "stat", description = "Print a block's CID and size.")
  int stat(@Parameters(paramLabel = "CID") String cidText) {
    return run(() -> {
      Cid cid = Cid.parse(cidText);
      try (NodeApi node = node()) {
        long size = node.blockSize(cid);
        println("Key: " + cid);
        println("Size: " + size);
      }
    });
  }

  @Command(name = "rm", description = "Delete blocks (not pinned ones); print \"removed CID\" for each.")
  int rm(@Parameters(paramLabel = "CID", arity = "1..*") List<String> cidTexts) {
    return run(() -> {
      List<Cid> cids = cidTexts.stream().map(Cid::parse).toList();
      try (NodeApi node = node()) {
        for (Cid cid : cids) {
          node.blockRm(cid);
          println("removed " + cid);
        }
      }
    });
  }

  @Command(name = "put", description = "Store blocks read from files (or stdin); print their CIDs.")
  int put(
      @Parameters(paramLabel = "FILE", arity = "0..*", description = "Block files; stdin when none.") List<Path> files,
      @Option(names = "--cid-codec", paramLabel = "CODEC", defaultValue = "raw", description = "raw (default) or dag-pb.")
          String codecName,
      @Option(names = "--mhtype", paramLabel = "NAME", defaultValue = "sha2-256", description = "Hash function (default sha2-256).")
          String hashName,
      @Option(names = "--pin", arity = "0..1", fallbackValue = "true", defaultValue = "false", paramLabel = "BOOL",
          description = "Pin the blocks (default false).")
          boolean pin) {
    return run(() -> {
      Multicodec codec = codec(codecName);
      Multicodec hash = Multicodec.byName(hashName)
          .filter(h -> h.tag() == Multicodec.Tag.MULTIHASH && h != Multicodec.IDENTITY && Multihash.isSupported(h))
          .orElseThrow(() -> new CommandException("unsupported --mhtype '" + hashName + "': use sha2-256, sha2-512 or blake3"));
      List<Block> blocks = new ArrayList<>();
      if (files == null || files.isEmpty()) {
        blocks.add(block(codec, hash, readBlock(env().stdin(), "stdin")));
      } else {
        for (Path f : files) {
          try (InputStream in = Files.newInputStream(env().resolve(f))) {
            blocks.add(block(codec, hash, readBlock(in, f.toString())));
          }
        }
      }
      try (NodeApi node = node(); NodeApi.BlockImport in = node.importBlocks(NodeApi.ImportKind.BLOCK_PUT)) {
        for (Block b : blocks) {
          in.put(b);
        }
        NodeApi.PinResult pinned = in.finish(pin ? blocks.stream().map(Block::cid).toList() : List.of());
        for (Block b : blocks) {
          if (pinned.failed() && b.cid().equals(pinned.failedRoot())) {
            throw new CommandException(pinned.failure());
          }
          println(b.cid().toString());
        }
      }
    });
  }

  private static Multicodec codec(String name) {
    if (name.equals(Multicodec.RAW.codecName())) {
      return Multicodec.RAW;
    }
    if (name.equals(Multicodec.DAG_PB.codecName())) {
      return Multicodec.DAG_PB;
    }
    throw new CommandException("unsupported --cid-codec '" + name + "': use raw or dag-pb");
  }

  private static Block block(Multicodec codec, Multicodec hash, byte[] data) {
    if (codec == Multicodec.DAG_PB) {
      try {
        DagPb.decode(data); // GC and pins walk dag-pb links: refuse what would not decode
      } catch (IllegalArgumentException e) {
        throw new CommandException("block is not valid dag-pb: " + e.getMessage(), e);
      }
    }
    return Block.of(1, codec, hash, data);
  }

  /** Reads a whole block, refusing more than {@link Block#MAX_SIZE} bytes before holding them. */
  private static byte[] readBlock(InputStream in, String source) throws IOException {
    byte[] data = in.readNBytes(Block.MAX_SIZE + 1);
    if (data.length > Block.MAX_SIZE) {
      throw new CommandException(source + " is larger than the " + Block.MAX_SIZE + "-byte block limit");
    }
    return data;
  }
}
