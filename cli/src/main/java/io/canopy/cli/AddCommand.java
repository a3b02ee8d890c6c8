package io.canopy.cli;

import io.canopy.content.importer.BlockSink;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy add}: {@code ipfs add} with Kubo's flags and output ("added CID NAME" for every
 * file and folder, the root last). The DAG goes into the home's block store and its root is pinned
 * recursively; with {@code --only-hash} nothing is stored and no home is needed. The DAG is built
 * here, where the files are, and its blocks streamed to the home's daemon if one runs.
 */
@Command(
    name = "add",
    description = "Add files or folders (or stdin) and print their CIDs, as `ipfs add` does.")
final class AddCommand extends CanopyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PATH", arity = "0..*", description = "Files or folders to add; stdin when none is given.")
  List<Path> paths = new ArrayList<>();

  @Option(names = {"-r", "--recursive"}, description = "Add folders and everything in them.")
  boolean recursive;

  @Option(names = {"-w", "--wrap-with-directory"}, description = "Wrap the files in a folder (its CID is printed last).")
  boolean wrap;

  @Option(names = {"-q", "--quiet"}, description = "Print only the CIDs.")
  boolean quiet;

  @Option(names = {"-Q", "--quieter"}, description = "Print only the root CID.")
  boolean quieter;

  @Option(names = {"-n", "--only-hash"}, description = "Compute the CIDs only: store nothing, need no home.")
  boolean onlyHash;

  @Option(names = "--cid-version", paramLabel = "N", description = "CID version, 0 or 1 (1 implies --raw-leaves).")
  int cidVersion = 0;

  @Option(
      names = "--raw-leaves",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Raw blocks for file chunks (default: only with CIDv1).")
  Boolean rawLeaves;

  @Option(names = {"-s", "--chunker"}, paramLabel = "size-N", description = "Chunk size, as size-N bytes (default size-262144).")
  String chunker = "size-" + ImportOptions.DEFAULT_CHUNK_SIZE;

  @Option(names = {"-t", "--trickle"}, description = "Trickle layout instead of balanced.")
  boolean trickle;

  @Option(names = "--hash", paramLabel = "NAME", description = "Hash function: sha2-256 (default), sha2-512, blake3.")
  String hash = Multicodec.SHA2_256.codecName();

  @Option(names = {"-H", "--hidden"}, description = "Include files and folders whose names start with '.'.")
  boolean hidden;

  @Option(names = "--preserve-mode", description = "Record the files' permission bits.")
  boolean preserveMode;

  @Option(names = "--preserve-mtime", description = "Record the files' modification times.")
  boolean preserveMtime;

  @Option(
      names = "--pin",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Pin the added root recursively (default true).")
  boolean pin = true;

  @Override
  public Integer call() {
    return run(() -> {
      ImportOptions options = importOptions();
      List<Path> inputs = checkedInputs();
      if (inputs.isEmpty() && env().interactive()) {
        // stdin is a terminal: waiting for typed content is never what was meant
        throw new CommandException("add needs at least one PATH, or content piped to stdin");
      }
      if (inputs.isEmpty() && wrap) {
        throw new CommandException("--wrap-with-directory needs at least one PATH (stdin has no name to wrap)");
      }
      List<ImportResult> results;
      if (onlyHash) {
        results = importAll(BlockSink.DISCARD, options, inputs);
      } else {
        initializeOnFirstUse();
        try (NodeApi node = node(); NodeApi.BlockImport blocks = node.importBlocks(NodeApi.ImportKind.ADD)) {
          results = importAll(blocks::put, options, inputs);
          NodeApi.PinResult pinned = blocks.finish(pin ? roots(results, inputs.isEmpty()) : List.of());
          if (pinned.failed()) {
            throw new CommandException(pinned.failure());
          }
        }
      }
      print(results);
    });
  }

  /**
   * The first {@code add} on a machine creates the home, so that one command is enough to start;
   * a folder that exists but is not a home is never touched.
   */
  private void initializeOnFirstUse() throws IOException {
    Home home = home();
    if (!home.isInitialized() && !Files.exists(home.dir())) {
      Ed25519PrivateKey key = Repo.initialize(home, HomeConfig.DEFAULT_STORAGE_MAX);
      env().stderr().println("initialized Canopy home at " + home.dir() + " (peer identity " + key.peerId() + ")");
    }
  }

  private ImportOptions importOptions() {
    Multicodec hashFunction =
        Multicodec.byName(hash).orElseThrow(() -> new CommandException("unknown hash function '" + hash + "'"));
    try {
      return ImportOptions.builder()
          .cidVersion(cidVersion)
          .rawLeaves(rawLeaves)
          .chunkSize(ImportOptions.parseChunker(chunker))
          .layout(trickle ? Layout.TRICKLE : Layout.BALANCED)
          .hash(hashFunction)
          .wrapWithDirectory(wrap)
          .includeHidden(hidden)
          .preserveMode(preserveMode)
          .preserveMtime(preserveMtime)
          .build();
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), e);
    }
  }

  /** The paths, absolute, after the checks that give a clear error before anything is stored. */
  private List<Path> checkedInputs() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path given : paths) {
      Path path = env().resolve(given);
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        throw new NoSuchFileException(given.toString());
      }
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) && !recursive) {
        throw new CommandException("'" + given + "' is a folder: use -r to add folders");
      }
      if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && !Files.isReadable(path)) {
        throw new AccessDeniedException(given.toString());
      }
      out.add(path);
    }
    return out;
  }

  private List<ImportResult> importAll(BlockSink sink, ImportOptions options, List<Path> inputs) throws IOException {
    ProgressBar progress = ProgressBar.forBytes(env(), env().interactive() ? totalBytes(inputs) : 0);
    Importer importer = new Importer(sink, options, progress);
    try {
      if (inputs.isEmpty()) {
        // Kubo names stdin content after its own CID.
        ImportResult r = importer.importFile(env().stdin());
        return List.of(new ImportResult(r.cid(), r.cid().toString(), r.size(), r.fileSize()));
      }
      return importer.importPaths(inputs);
    } finally {
      progress.finish();
    }
  }

  /**
   * What gets pinned: the wrapping folder with -w, stdin's file, else each top-level PATH (its
   * name has no '/'), but never the files inside a folder — their folder's pin covers them.
   */
  private List<Cid> roots(List<ImportResult> results, boolean fromStdin) {
    if (wrap || fromStdin) {
      return List.of(results.get(results.size() - 1).cid());
    }
    return results.stream().filter(r -> r.name().indexOf('/') < 0).map(ImportResult::cid).toList();
  }

  private void print(List<ImportResult> results) {
    if (quieter) {
      println(results.get(results.size() - 1).cid().toString());
      return;
    }
    for (ImportResult r : results) {
      println(quiet ? r.cid().toString() : "added " + r.cid() + " " + r.name());
    }
  }

  private long totalBytes(List<Path> inputs) throws IOException {
    long total = 0;
    for (Path p : inputs) {
      try (Stream<Path> walk = Files.walk(p)) {
        total += walk.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
      }
    }
    return total;
  }
}
