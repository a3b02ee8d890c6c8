package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapBlockstore;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.bitswap.BitswapStats;
import io.canopy.content.bitswap.FetchResult;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.BlockSink;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Canopy's Bitswap against Helia's (npm {@code helia} + {@code @helia/bitswap}, pinned by
 * interop/package-lock.json), both directions, over real processes on 127.0.0.1. Helia runs with
 * Bitswap as its only block broker and no routers ({@code js/helia-peer.mjs}), so every block it
 * lacks must come from the Canopy node it is connected to, and the reverse.
 *
 * <p>Each file is 8 MiB of seeded random bytes (32 leaves of 256 KiB under one root), imported
 * in the two layouts Kubo users meet: CIDv0 with dag-pb leaves ({@code ipfs add}'s default) and
 * CIDv1 with raw leaves ({@code --cid-version 1}). Both sides must build the same DAG (same root
 * CID) and move it byte for byte.
 *
 * <p>{@code -Dcanopy.heliaDebug=helia:bitswap*} makes Helia log each Bitswap message it sends and
 * receives; failures print the Helia node's stderr.
 */
@Tag("interop")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HeliaBitswapInteropTest {
  private static final int CHUNK = 262_144;
  private static final int FILE_SIZE = 8 * 1024 * 1024;
  private static final long SEED = 0xB17_5A4F_5EEDL;
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(120);

  /** The two import layouts, as both implementations name them. */
  enum Format {
    CIDV0_DAG_PB_LEAVES(0, false),
    CIDV1_RAW_LEAVES(1, true);

    final int cidVersion;
    final boolean rawLeaves;

    Format(int cidVersion, boolean rawLeaves) {
      this.cidVersion = cidVersion;
      this.rawLeaves = rawLeaves;
    }

    ImportOptions options() {
      return ImportOptions.builder().cidVersion(cidVersion).rawLeaves(rawLeaves).chunkSize(CHUNK).build();
    }
  }

  @TempDir Path tmp;

  private Path file;
  private String fileSha256;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  void generateFile(@TempDir Path dir) throws Exception {
    byte[] data = new byte[FILE_SIZE];
    new SplittableRandom(SEED).nextBytes(data);
    file = Files.write(dir.resolve("eight-mib.bin"), data);
    fileSha256 = sha256(data);
  }

  @AfterEach
  void closeAll() {
    // in reverse order of opening: Bitswap before its host
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // best effort: the next test starts new nodes and processes
      }
    }
    open.clear();
  }

  /** Helia cats a file that only the Canopy node has, then imports the same bytes itself. */
  @ParameterizedTest
  @EnumSource(Format.class)
  void heliaFetchesFileFromCanopy(Format format) throws Exception {
    MemoryBlockstore store = new MemoryBlockstore();
    Cid canopyCid = importFile(store, format);
    CanopyNode canopy = canopyNode(store);
    HeliaPeer helia = helia();

    helia.dial(canopy.addr());
    assertThat(helia.blockCount()).as("Helia starts empty").isZero();

    HeliaPeer.CatResult got = helia.cat(canopyCid.toString(), tmp.resolve("helia-got.bin"), FETCH_TIMEOUT);
    assertThat(got.bytes()).isEqualTo(FILE_SIZE);
    assertThat(got.sha256()).as("SHA-256 of what Helia read").isEqualTo(fileSha256);
    assertThat(sha256(Files.readAllBytes(tmp.resolve("helia-got.bin")))).isEqualTo(fileSha256);

    int blocks = store.count();
    assertThat(helia.blockCount()).as("every block of the DAG is now in Helia's store").isEqualTo(blocks);
    BitswapStats sent = canopy.bitswap().stats();
    assertThat(sent.blocksSent()).as("blocks Canopy served over Bitswap").isGreaterThanOrEqualTo(blocks);

    HeliaPeer.AddResult heliaAdd = helia.add(file, format.cidVersion, format.rawLeaves, CHUNK);
    assertThat(heliaAdd.cid()).as("Helia's CID for the same bytes and options").isEqualTo(canopyCid.toString());
    assertThat(helia.blockCount()).as("Helia's own import made exactly the blocks it fetched").isEqualTo(blocks);
  }

  /** Canopy fetches a file only Helia has with fetchDag (the whole DAG into its store), then reads it. */
  @ParameterizedTest
  @EnumSource(Format.class)
  void canopyFetchesDagFromHelia(Format format) throws Exception {
    HeliaPeer helia = helia();
    HeliaPeer.AddResult added = helia.add(file, format.cidVersion, format.rawLeaves, CHUNK);
    Cid cid = Cid.parse(added.cid());
    assertThat(cid).as("Canopy's CID for the same bytes and options").isEqualTo(importFile(BlockSink.DISCARD, format));

    MemoryBlockstore store = new MemoryBlockstore();
    CanopyNode canopy = canopyNode(store);
    canopy.host().connect(Multiaddr.parse(helia.addr())).get(30, TimeUnit.SECONDS);

    FetchResult result = canopy.bitswap().fetchDag(cid).get(FETCH_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(result.blocks()).isEqualTo(helia.blockCount());
    assertThat(store.count()).isEqualTo(helia.blockCount());
    assertThat(canopy.bitswap().stats().blocksReceived()).isEqualTo(helia.blockCount());

    assertThat(catSha256(new Exporter(store), cid)).as("SHA-256 of the file read back from Canopy's store").isEqualTo(fileSha256);
  }

  /** Canopy reads a file only Helia has through BitswapBlockstore, which fetches each miss. */
  @ParameterizedTest
  @EnumSource(Format.class)
  void canopyCatsHeliaFileThroughBitswapBlockstore(Format format) throws Exception {
    HeliaPeer helia = helia();
    Cid cid = Cid.parse(helia.add(file, format.cidVersion, format.rawLeaves, CHUNK).cid());

    MemoryBlockstore local = new MemoryBlockstore();
    CanopyNode canopy = canopyNode(local);
    canopy.host().connect(Multiaddr.parse(helia.addr())).get(30, TimeUnit.SECONDS);

    BitswapBlockstore networked = new BitswapBlockstore(local, canopy.bitswap());
    open.add(networked);
    Exporter exporter = new Exporter(networked);
    assertThat(exporter.fileSize(cid)).isEqualTo(FILE_SIZE);
    assertThat(catSha256(exporter, cid)).as("SHA-256 of the file read through Bitswap").isEqualTo(fileSha256);
    assertThat(local.count()).as("fetched blocks are kept locally").isEqualTo(helia.blockCount());
  }

  // --- helpers -------------------------------------------------------------------------------

  /** A started Canopy host on 127.0.0.1 with Bitswap over {@code store}. */
  record CanopyNode(Host host, Bitswap bitswap) {
    String addr() {
      return host.listenAddrs().get(0).withPeerId(host.peerId()).toString();
    }
  }

  private CanopyNode canopyNode(MemoryBlockstore store) throws Exception {
    Host host = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    open.add(host);
    Bitswap bitswap = new Bitswap(host, store, BitswapConfig.DEFAULT).start();
    open.add(bitswap);
    return new CanopyNode(host, bitswap);
  }

  private HeliaPeer helia() {
    HeliaPeer helia = HeliaPeer.start();
    open.add(helia);
    assertThat(helia.protocols()).contains(HeliaPeer.BITSWAP_PROTOCOL);
    return helia;
  }

  private Cid importFile(BlockSink sink, Format format) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new Importer(sink, format.options()).importFile(in).cid();
    }
  }

  private Cid importFile(MemoryBlockstore store, Format format) throws IOException {
    return importFile((BlockSink) store::put, format);
  }

  private static String catSha256(Exporter exporter, Cid cid) throws IOException {
    MessageDigest digest = sha256Digest();
    try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
      exporter.cat(cid, 0, FILE_SIZE, out);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String sha256(byte[] data) {
    return HexFormat.of().formatHex(sha256Digest().digest(data));
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
