package io.canopy.content.importer;

import io.canopy.content.dagpb.PbLink;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.content.unixfs.UnixTime;
import java.io.FileInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Turns files and folders into UnixFS DAGs whose CIDs are the ones Kubo's {@code ipfs add} gives
 * for the same bytes and options. Blocks go to a {@link BlockSink} as they are made; nothing is
 * held in memory beyond the chunks in flight and the links of unfinished nodes.
 */
public final class Importer {
  private final ImportOptions options;
  private final NodeWriter writer;
  private final FileBuilder files;
  private final DirectoryBuilder directories;

  public Importer(BlockSink sink, ImportOptions options) {
    this(sink, options, bytes -> {});
  }

  /** {@code progress} is told how many content bytes were read, chunk by chunk. */
  public Importer(BlockSink sink, ImportOptions options, LongConsumer progress) {
    this.options = Objects.requireNonNull(options);
    this.writer = new NodeWriter(options, Objects.requireNonNull(sink));
    this.files = new FileBuilder(options, writer, progress);
    this.directories = new DirectoryBuilder(writer, options.hamtThreshold());
  }

  /** Imports one file's bytes (no name, no metadata): {@code ipfs add} of a file or of stdin. */
  public ImportResult importFile(InputStream in) throws IOException {
    DagLink link = files.build(in, null, null);
    return new ImportResult(link.cid(), "", link.tsize(), link.fileSize());
  }

  /**
   * Lays out leaves that are already stored (no file bytes are read) as the balanced importer
   * would: the root is the CID importing the leaves' bytes gives, when every leaf but the last
   * holds exactly {@link ImportOptions#chunkSize()} bytes and the leaves are of the kind these
   * options make (raw blocks with raw leaves, else DAG-PB File leaves of this CID version). Only
   * the new inner nodes go to the sink. The way to join files cut on chunk boundaries, such as
   * the parts of an S3 multipart upload, without reading them again; see {@link FileLeaves}.
   *
   * @throws IllegalStateException if these options are not the balanced layout
   */
  public ImportResult importLeaves(Iterator<DagLink> leaves) throws IOException {
    if (options.layout() != Layout.BALANCED) {
      throw new IllegalStateException("leaves can only be joined in the balanced layout");
    }
    DagLink link = files.balancedOver(leaves);
    return new ImportResult(link.cid(), "", link.tsize(), link.fileSize());
  }

  /**
   * Imports paths as {@code ipfs add -r [-w] PATH...} does and returns what it prints, in its
   * order: every file as it is added, then every directory after its contents, then (with
   * wrap-with-directory) the wrapping directory, whose name is empty. Names are relative to each
   * path's parent. The root is the last result.
   */
  public List<ImportResult> importPaths(List<Path> paths) throws IOException {
    List<ImportResult> fileResults = new ArrayList<>();
    List<ImportResult> dirResults = new ArrayList<>();
    List<DirectoryBuilder.Entry> top = new ArrayList<>();
    for (Path path : paths) {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        throw new NoSuchFileException(path.toString(), null, "no such file or directory");
      }
      String name = baseName(path);
      top.add(new DirectoryBuilder.Entry(name, importEntry(path, name, fileResults, dirResults)));
    }
    List<ImportResult> out = new ArrayList<>(fileResults);
    out.addAll(dirResults);
    if (options.wrapWithDirectory()) {
      top.sort((a, b) -> compareNames(a.name(), b.name()));
      DagLink wrapper = directories.build(dedupe(top), null, null);
      out.add(new ImportResult(wrapper.cid(), "", wrapper.tsize(), 0));
    }
    return out;
  }

  private DagLink importEntry(Path path, String name, List<ImportResult> fileResults, List<ImportResult> dirResults)
      throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (attrs.isSymbolicLink()) {
      DagLink link = symlink(Files.readSymbolicLink(path).toString());
      fileResults.add(new ImportResult(link.cid(), name, link.tsize(), 0));
      return link;
    }
    if (attrs.isDirectory()) {
      List<DirectoryBuilder.Entry> entries = new ArrayList<>();
      for (Path child : children(path)) {
        String childName = baseName(child);
        entries.add(new DirectoryBuilder.Entry(childName, importEntry(child, name + "/" + childName, fileResults, dirResults)));
      }
      DagLink dir = directories.build(entries, mode(path), mtime(attrs));
      dirResults.add(new ImportResult(dir.cid(), name, dir.tsize(), 0));
      return dir;
    }
    if (!attrs.isRegularFile()) {
      throw new IOException("cannot add '" + path + "': not a regular file, folder or symlink");
    }
    DagLink file;
    try (InputStream in = new NamedInput(new FileInputStream(path.toFile()), path)) {
      file = files.build(in, mode(path), mtime(attrs));
    }
    fileResults.add(new ImportResult(file.cid(), name, file.tsize(), file.fileSize()));
    return file;
  }

  /** Directory entries in the order Go's os.ReadDir gives them: by name, bytewise. */
  private List<Path> children(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> options.includeHidden() || !baseName(p).startsWith("."))
          .sorted((a, b) -> compareNames(baseName(a), baseName(b)))
          .toList();
    }
  }

  /** Read errors name the file: the OS's own text ("Input/output error") does not. */
  private static final class NamedInput extends FilterInputStream {
    private final Path path;

    NamedInput(InputStream in, Path path) {
      super(in);
      this.path = path;
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        throw named(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        throw named(e);
      }
    }

    private IOException named(IOException e) {
      return new IOException("cannot read '" + path + "': " + e.getMessage(), e);
    }
  }

  private DagLink symlink(String target) throws IOException {
    UnixFsData data = new UnixFsData(UnixFsType.SYMLINK, target.getBytes(StandardCharsets.UTF_8), null, List.of(), null, null, null, null);
    return writer.dagPb(data, List.<PbLink>of(), 0);
  }

  private Integer mode(Path path) throws IOException {
    if (!options.preserveMode()) {
      return null;
    }
    try {
      return ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0xFFF;
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  private UnixTime mtime(BasicFileAttributes attrs) {
    if (!options.preserveMtime()) {
      return null;
    }
    FileTime time = attrs.lastModifiedTime();
    Instant instant = time.toInstant();
    int nanos = instant.getNano();
    return new UnixTime(instant.getEpochSecond(), nanos == 0 ? null : nanos);
  }

  private static List<DirectoryBuilder.Entry> dedupe(List<DirectoryBuilder.Entry> sorted) {
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
        throw new IllegalArgumentException("two paths named '" + sorted.get(i).name() + "' cannot be wrapped in one directory");
      }
    }
    return sorted;
  }

  private static String baseName(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path file = abs.getFileName();
    return file == null ? "" : file.toString();
  }

  static int compareNames(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
