package io.canopy.content;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapMessage;
import io.canopy.content.bitswap.BitswapMessage.Payload;
import io.canopy.content.block.Block;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.car.CarFormatException;
import io.canopy.content.car.CarHeader;
import io.canopy.content.car.CarImportResult;
import io.canopy.content.car.CarImporter;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.DagPbException;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protobuf.ProtoException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of everything in the content module that decodes bytes from a peer, a
 * CAR a user imports, or the block folder on disk. One {@code @FuzzTest} (Jazzer fuzzes one per
 * JVM); the first int picks the decoder, the rest of the input (at most {@value #MAX_INPUT} bytes)
 * is what it reads. Each branch catches only the decoder's documented refusal:
 *
 * <ul>
 *   <li>{@code DAG_PB}: {@link DagPb#decode}, refusal {@link DagPbException}; a decoded node
 *       re-encodes canonically and decodes to an equal node.
 *   <li>{@code UNIXFS_DATA}: {@link UnixFsData#decode}, refusal {@link UnixFsException}; the
 *       encoding of a decoded value is a fixed point of decode-then-encode.
 *   <li>{@code CAR_HEADER}: {@link CarHeader#decode}, refusal {@link CarFormatException}; a decoded
 *       header encodes and decodes to an equal header.
 *   <li>{@code CAR_IMPORT}: {@link CarImporter#importCar} over an input stream that hands out the
 *       bytes in fuzzed-size chunks (as a socket or file does), into a memory blockstore; refusal
 *       {@link CarFormatException}. Every block it stored must hash to its CID.
 *   <li>{@code BITSWAP}: {@link BitswapMessage#decode}, refusal {@link ProtoException}; then every
 *       payload's CID is computed from its prefix as a received block is ({@link Payload#cid},
 *       refusal {@link IllegalArgumentException}), and the message is re-encoded for 1.2.0 and must
 *       decode to the same content.
 *   <li>{@code BLOCK_FILE}: a stored block's file in a {@link FileBlockstore} is overwritten with the
 *       input, as bit rot or outside hands would; {@link FileBlockstore#getVerified} must return the
 *       original bytes or refuse with {@link CorruptBlockException}, never return other bytes.
 * </ul>
 */
class ContentDecodersFuzzTest {
  /** Large enough for multi-block CARs and messages, small enough that a length bomb stands out. */
  static final int MAX_INPUT = 64 * 1024;

  enum Decoder { DAG_PB, UNIXFS_DATA, CAR_HEADER, CAR_IMPORT, BITSWAP, BLOCK_FILE }

  /** One block folder for the whole run: opening a store per execution would be all the cost. */
  private static Path blockFolder;
  private static FileBlockstore fileStore;
  private static Block storedBlock;
  private static Path storedBlockFile;

  @FuzzTest
  void decode(FuzzedDataProvider data) throws IOException {
    Decoder decoder = Decoder.values()[data.consumeInt(0, Decoder.values().length - 1)];
    switch (decoder) {
      case DAG_PB -> dagPb(data.consumeRemainingAsBytes());
      case UNIXFS_DATA -> unixFsData(data.consumeRemainingAsBytes());
      case CAR_HEADER -> carHeader(data.consumeRemainingAsBytes());
      case CAR_IMPORT -> carImport(data.consumeInt(1, 4096), data.consumeRemainingAsBytes());
      case BITSWAP -> bitswap(data.consumeRemainingAsBytes());
      case BLOCK_FILE -> blockFile(data.consumeRemainingAsBytes());
      default -> throw new AssertionError(decoder);
    }
  }

  private static void dagPb(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    PbNode node;
    try {
      node = DagPb.decode(bytes);
    } catch (DagPbException e) {
      return;
    }
    byte[] canonical = DagPb.encode(node);
    PbNode again = DagPb.decode(canonical);
    if (!again.links().equals(node.links().stream().sorted(DagPb.LINK_ORDER).toList())
        || !Arrays.equals(again.data(), node.data())) {
      throw new AssertionError("DAG-PB round trip changed " + node + " into " + again);
    }
  }

  private static void unixFsData(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    UnixFsData decoded;
    try {
      decoded = UnixFsData.decode(bytes);
    } catch (UnixFsException e) {
      return;
    }
    // Not decoded.equals(decode(encode())): an empty Data field decodes as present and is not
    // written back, as go-unixfs does. The encoding must be stable from the first re-encode on.
    byte[] encoded = decoded.encode();
    byte[] again = UnixFsData.decode(encoded).encode();
    if (!Arrays.equals(encoded, again)) {
      throw new AssertionError("UnixFS Data encoding is not stable for " + decoded);
    }
  }

  private static void carHeader(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    CarHeader header;
    try {
      header = CarHeader.decode(bytes);
    } catch (CarFormatException e) {
      return;
    }
    CarHeader again;
    try {
      again = CarHeader.decode(header.encode());
    } catch (CarFormatException e) {
      throw new AssertionError("a header we wrote is refused: " + e.getMessage(), e);
    }
    if (!again.equals(header)) {
      throw new AssertionError("CAR header round trip changed " + header + " into " + again);
    }
  }

  private static void carImport(int chunk, byte[] bytes) throws IOException {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    MemoryBlockstore store = new MemoryBlockstore();
    try {
      CarImportResult result = new CarImporter(store).importCar(new ChunkedStream(bytes, chunk));
      if (result.roots() == null) {
        throw new AssertionError("an imported CAR has no roots list");
      }
    } catch (CarFormatException e) {
      // refused; the blocks stored before the bad section must still be sound (checked below)
    }
    try (Stream<Cid> keys = store.keys()) {
      keys.forEach(cid -> {
        try {
          if (!new Block(cid, store.get(cid)).isValid()) {
            throw new AssertionError("CAR import stored " + cid + " with bytes that do not hash to it");
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  private static void bitswap(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    BitswapMessage message;
    try {
      message = BitswapMessage.decode(bytes);
    } catch (ProtoException e) {
      return;
    }
    for (Payload p : message.blocks()) {
      try {
        Cid cid = p.cid();
        if (!new Block(cid, p.data()).isValid()) {
          throw new AssertionError("payload CID " + cid + " does not match its data");
        }
      } catch (IllegalArgumentException e) {
        // a malformed prefix or a hash we cannot compute: the peer gets a strike
      }
    }
    BitswapMessage again = BitswapMessage.decode(message.toByteArray(Bitswap.PROTOCOL_1_2_0));
    boolean same = again.wantlist().equals(message.wantlist())
        && again.full() == message.full()
        && again.presences().equals(message.presences())
        && again.pendingBytes() == message.pendingBytes()
        && again.blocks().size() == message.blocks().size();
    for (int i = 0; same && i < message.blocks().size(); i++) {
      same = Arrays.equals(again.blocks().get(i).prefix(), message.blocks().get(i).prefix())
          && Arrays.equals(again.blocks().get(i).data(), message.blocks().get(i).data());
    }
    if (!same) {
      throw new AssertionError("Bitswap 1.2.0 round trip changed " + message + " into " + again);
    }
  }

  private static void blockFile(byte[] bytes) throws IOException {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    openFileStore();
    Files.write(storedBlockFile, bytes);
    try {
      byte[] read = fileStore.getVerified(storedBlock.cid());
      if (!Arrays.equals(read, storedBlock.data())) {
        throw new AssertionError("getVerified returned " + read.length + " bytes that are not the block's");
      }
    } catch (CorruptBlockException e) {
      if (Arrays.equals(bytes, storedBlock.data())) {
        throw new AssertionError("the intact block was refused as corrupt", e);
      }
    }
  }

  private static void openFileStore() throws IOException {
    if (fileStore != null) {
      return;
    }
    blockFolder = Files.createTempDirectory("content-fuzz-blocks");
    fileStore = FileBlockstore.open(blockFolder);
    storedBlock = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, "a block on disk".getBytes(StandardCharsets.UTF_8));
    fileStore.put(storedBlock);
    try (Stream<Path> files = Files.walk(blockFolder)) {
      storedBlockFile = files.filter(p -> p.getFileName().toString().endsWith(".data")).findFirst().orElseThrow();
    }
  }

  @AfterAll
  static void removeBlockFolder() throws IOException {
    if (blockFolder == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(blockFolder)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
    blockFolder = null;
    fileStore = null;
  }

  /** Hands out at most {@code chunk} bytes per read, as a socket does, to exercise partial reads. */
  private static final class ChunkedStream extends InputStream {
    private final ByteArrayInputStream in;
    private final int chunk;

    ChunkedStream(byte[] bytes, int chunk) {
      this.in = new ByteArrayInputStream(bytes);
      this.chunk = chunk;
    }

    @Override
    public int read() {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return in.read(b, off, Math.min(len, chunk));
    }
  }
}
