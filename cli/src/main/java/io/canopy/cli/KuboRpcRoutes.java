package io.canopy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.cli.NodeApi.BlockImport;
import io.canopy.cli.NodeApi.ImportKind;
import io.canopy.cli.NodeApi.PinResult;
import io.canopy.cli.rpc.MultipartReader;
import io.canopy.cli.rpc.RpcCall;
import io.canopy.cli.rpc.RpcError;
import io.canopy.cli.rpc.RpcException;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.content.block.Block;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.BlockSink;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.content.pin.Pin;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Host;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Kubo RPC subset ({@code POST /api/v0/…}, no token) that Kubo's clients — kubo-rpc-client,
 * {@code ipfs --api}, curl scripts — use unchanged: {@code canopy daemon --rpc HOST:PORT} serves it
 * on a {@link RpcServer#withoutToken} server. Where the daemon API already answers in Kubo's shape
 * ({@code cat}, {@code block/get}, {@code pin/add}…) its {@link DaemonRoutes} handler is served as
 * is; this class adds the calls whose request or answer differ: {@code add} and {@code block/put}
 * take Kubo's {@code multipart/form-data} files (the daemon API takes Canopy's block stream),
 * {@code get} answers a tar, {@code pin/ls?stream=true} NDJSON, {@code id} and {@code version}
 * Kubo's fields. docs/compatibility-kubo-rpc.md lists what is served and how it differs.
 */
final class KuboRpcRoutes {
  static final String PREFIX = DaemonRoutes.PREFIX;
  /** Kubo's default block size limit for {@code block/put} (boxo's {@code BlockSizeLimit}), without {@code allow-big-block}. */
  static final int KUBO_BLOCK_SIZE_LIMIT = 1024 * 1024;
  /** Longest name of one path segment a part may give (a file system's NAME_MAX). */
  static final int MAX_NAME_BYTES = 255;
  static final int MAX_PATH_DEPTH = 256;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RepoNodeApi node;
  private final Host host;
  private final DaemonRoutes daemon;

  private KuboRpcRoutes(RepoNodeApi node, Host host) {
    this.node = node;
    this.host = host;
    this.daemon = new DaemonRoutes(node, host);
  }

  /** Adds the Kubo RPC routes to {@code api}, a {@link RpcServer#withoutToken} server. */
  static void register(RpcServer api, RepoNodeApi node, Host host) {
    KuboRpcRoutes k = new KuboRpcRoutes(node, host);
    DaemonRoutes d = k.daemon;
    long upload = api.config().maxUploadBytes();
    api.route(PREFIX + "add", upload, k::add);
    api.route(PREFIX + "block/put", upload, k::blockPut);
    api.route(PREFIX + "cat", d::cat);
    api.route(PREFIX + "get", k::get);
    api.route(PREFIX + "block/get", d::blockGet);
    api.route(PREFIX + "block/stat", d::blockStat);
    api.route(PREFIX + "block/rm", d::blockRm);
    api.route(PREFIX + "dag/export", d::dagExport);
    api.route(PREFIX + "pin/add", d::pinAdd);
    api.route(PREFIX + "pin/rm", d::pinRm);
    api.route(PREFIX + "pin/ls", k::pinLs);
    api.route(PREFIX + "id", k::id);
    api.route(PREFIX + "version", k::version);
    api.route(PREFIX + "swarm/connect", d::swarmConnect);
    api.route(PREFIX + "swarm/peers", d::swarmPeers);
  }

  // ---------------------------------------------------------------------------------------------
  // add

  /**
   * Kubo's {@code add}: a multipart form of files ({@code application/octet-stream}) and folders
   * ({@code application/x-directory}), each named by its percent-encoded path in the
   * {@code filename} parameter; one NDJSON line {@code {"Name","Hash","Size"}} per file and folder,
   * in Kubo's order. The whole body is read and checked before anything is pinned or answered, so a
   * malformed body is a 400 with nothing pinned (its blocks stay, unpinned, for GC).
   *
   * <p>A top-level file streams straight into the importer. Folders need all their entries before
   * their node can be made, and the importer builds folders from a file tree: a folder's parts are
   * written under a temporary folder, imported with {@link Importer#importPaths} (the call behind
   * {@code canopy add -r}, hence the same CIDs), then deleted.
   */
  private void add(RpcCall call) throws Exception {
    ImportOptions options = addOptions(call);
    boolean onlyHash = call.flag("only-hash", false);
    boolean pin = call.flag("pin", true) && !onlyHash;
    MultipartReader form = new MultipartReader(call.body(), MultipartReader.boundary(call.header("Content-Type")),
        MultipartReader.Limits.DEFAULT);
    Added added;
    if (onlyHash) {
      added = importForm(form, BlockSink.DISCARD, options);
    } else {
      try (BlockImport session = node.importBlocks(ImportKind.ADD)) {
        added = importForm(form, session::put, options);
        PinResult pinned = session.finish(pin ? added.roots() : List.of());
        if (pinned.failed()) {
          throw new RpcException(RpcError.FAILED, pinned.failure());
        }
      }
    }
    call.responseHeader("X-Chunked-Output", "1");
    try (OutputStream out = call.respondStream("application/json", -1)) {
      for (ImportResult r : added.results()) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("Name", r.name());
        line.put("Hash", r.cid().toString());
        line.put("Size", Long.toString(r.size())); // a string, as Kubo's AddEvent
        out.write(JSON.writeValueAsBytes(line));
        out.write('\n');
      }
    }
  }

  /** What {@code add} printed, in order, and the roots it pins (one per top-level entry, or the wrapper). */
  private record Added(List<ImportResult> results, List<Cid> roots) {}

  private static ImportOptions addOptions(RpcCall call) {
    for (String unsupported : List.of("preserve-mode", "preserve-mtime", "mode", "mtime", "inline", "nocopy", "to-files")) {
      if (call.option(unsupported) != null && !call.option(unsupported).equals("false")) {
        throw RpcException.badRequest("option '" + unsupported + "' is not supported by Canopy's add");
      }
    }
    String hashName = Optional.ofNullable(call.option("hash")).orElse(Multicodec.SHA2_256.codecName()).toLowerCase(Locale.ROOT);
    Multicodec hash = Multicodec.byName(hashName)
        .orElseThrow(() -> RpcException.badRequest("unrecognized hash function: \"" + hashName + "\""));
    try {
      ImportOptions.Builder b = ImportOptions.builder()
          .cidVersion((int) call.longOption("cid-version", 0))
          .chunkSize(ImportOptions.parseChunker(call.option("chunker")))
          .layout(call.flag("trickle", false) ? Layout.TRICKLE : Layout.BALANCED)
          .hash(hash)
          .wrapWithDirectory(call.flag("wrap-with-directory", false))
          .includeHidden(true); // the client chose what to send (Kubo's --hidden is client-side)
      if (call.option("raw-leaves") != null) {
        b.rawLeaves(call.flag("raw-leaves", false));
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw RpcException.badRequest(e.getMessage());
    }
  }

  private Added importForm(MultipartReader form, BlockSink sink, ImportOptions options) throws IOException {
    Importer importer = new Importer(sink, options);
    boolean wrap = options.wrapWithDirectory();
    List<ImportResult> results = new ArrayList<>();
    List<Cid> roots = new ArrayList<>();
    Spool spool = new Spool();
    try {
      for (Optional<MultipartReader.Part> next = form.next(); next.isPresent(); next = form.next()) {
        MultipartReader.Part part = next.get();
        String type = part.contentType();
        boolean dir = type.equals("application/x-directory");
        if (type.equals("application/symlink")) {
          throw RpcException.badRequest("symlink parts are not supported (part '" + part.filename() + "')");
        }
        if (type.startsWith("multipart/")) {
          throw RpcException.badRequest("nested multipart parts are not supported: send each file as a part named by its path");
        }
        List<String> path = segments(part.filename());
        if (path.isEmpty()) {
          if (dir || wrap) {
            throw RpcException.badRequest(dir ? "a directory part needs a filename"
                : "wrap-with-directory needs every part to have a filename");
          }
          // An unnamed file is named after its CID, as Kubo does.
          spool.flush(importer, results, roots);
          ImportResult r = importer.importFile(part.content());
          results.add(new ImportResult(r.cid(), r.cid().toString(), r.size(), r.fileSize()));
          roots.add(r.cid());
        } else if (!wrap && !dir && path.size() == 1) {
          spool.flush(importer, results, roots);
          ImportResult r = importer.importFile(part.content());
          results.add(new ImportResult(r.cid(), path.get(0), r.size(), r.fileSize()));
          roots.add(r.cid());
        } else {
          if (!wrap) {
            spool.flushUnless(path.get(0), importer, results, roots);
          }
          spool.write(path, dir, part, wrap);
        }
      }
      if (wrap) {
        spool.importWrapped(importer, results, roots);
      } else {
        spool.flush(importer, results, roots);
      }
      if (results.isEmpty()) {
        throw RpcException.badRequest("expected a file argument: the form has no file or directory part");
      }
      return new Added(results, roots);
    } finally {
      spool.delete();
    }
  }

  /** The part's path, percent-decoded (as Kubo, with {@code url.QueryUnescape}) and checked; empty when unnamed. */
  static List<String> segments(String filename) {
    if (filename == null || filename.isEmpty()) {
      return List.of();
    }
    String path;
    try {
      path = URLDecoder.decode(filename, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw RpcException.badRequest("malformed filename '" + filename + "': " + e.getMessage());
    }
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (s.isEmpty()) {
        continue; // "a//b", a leading or trailing '/'
      }
      if (s.equals(".") || s.equals("..") || s.indexOf('\0') >= 0) {
        throw RpcException.badRequest("invalid path '" + path + "': no '.', '..' or NUL segments");
      }
      if (s.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw RpcException.badRequest("invalid path '" + path + "': a name is over " + MAX_NAME_BYTES + " bytes");
      }
      out.add(s);
    }
    if (out.size() > MAX_PATH_DEPTH) {
      throw RpcException.badRequest("invalid path: deeper than " + MAX_PATH_DEPTH + " folders");
    }
    return out;
  }

  /**
   * The temporary tree the folder parts are written to. Without wrapping, the top-level entry
   * being written is imported (and removed) as soon as a part outside it arrives, so that results
   * come in Kubo's order (each top-level entry's files, then its folders) and the disk holds one
   * entry at a time; with wrapping everything is imported at the end, under one root.
   */
  private static final class Spool {
    private Path dir;
    private String pendingTop;
    private final List<String> tops = new ArrayList<>();

    void write(List<String> path, boolean isDir, MultipartReader.Part part, boolean wrap) throws IOException {
      if (dir == null) {
        dir = Files.createTempDirectory("canopy-rpc-add-");
      }
      String top = path.get(0);
      if (!wrap && pendingTop != null && !pendingTop.equals(top)) {
        throw new IllegalStateException("flush before writing another entry");
      }
      if (!tops.contains(top)) {
        tops.add(top);
      }
      pendingTop = top;
      Path target = dir;
      for (int i = 0; i < path.size() - 1; i++) {
        target = target.resolve(path.get(i));
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw RpcException.badRequest("'" + String.join("/", path) + "' is under '" + String.join("/", path.subList(0, i + 1))
              + "', which is a file");
        }
        Files.createDirectories(target);
      }
      target = target.resolve(path.get(path.size() - 1));
      if (isDir) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw RpcException.badRequest("'" + String.join("/", path) + "' is given as both a file and a directory");
        }
        Files.createDirectories(target);
      } else {
        try {
          Files.copy(part.content(), target);
        } catch (FileAlreadyExistsException e) {
          throw RpcException.badRequest("'" + String.join("/", path) + "' is given twice");
        }
      }
    }

    /** Imports the pending top-level entry if {@code top} is another one. */
    void flushUnless(String top, Importer importer, List<ImportResult> results, List<Cid> roots) throws IOException {
      if (pendingTop != null && !pendingTop.equals(top)) {
        flush(importer, results, roots);
      }
    }

    /** Imports the top-level entry written so far (if any), appending its results and root. */
    void flush(Importer importer, List<ImportResult> results, List<Cid> roots) throws IOException {
      if (pendingTop == null) {
        return;
      }
      Path entry = dir.resolve(pendingTop);
      List<ImportResult> r = importer.importPaths(List.of(entry));
      results.addAll(r);
      roots.add(r.get(r.size() - 1).cid());
      deleteTree(entry);
      tops.clear();
      pendingTop = null;
    }

    /** Imports every entry under one wrapping folder, which is the one root. */
    void importWrapped(Importer importer, List<ImportResult> results, List<Cid> roots) throws IOException {
      if (dir == null) {
        return;
      }
      List<ImportResult> r = importer.importPaths(tops.stream().map(dir::resolve).toList());
      results.addAll(r);
      roots.add(r.get(r.size() - 1).cid());
    }

    void delete() throws IOException {
      if (dir != null) {
        deleteTree(dir);
      }
    }

    private static void deleteTree(Path root) throws IOException {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // block/put

  /**
   * Kubo's {@code block/put}: each multipart part is one block, stored under the CID made with
   * {@code cid-codec} (default raw), {@code mhtype} (default sha2-256) and CIDv1, or the legacy
   * {@code format} ({@code v0}: CIDv0 dag-pb); one {@code {"Key","Size"}} line per block. With
   * {@code pin=true} each is pinned recursively once all are in.
   */
  private void blockPut(RpcCall call) throws Exception {
    String format = call.option("format");
    String codecName = call.option("cid-codec");
    if (format != null && !format.isEmpty() && codecName != null && !codecName.isEmpty()) {
      throw RpcException.badRequest("unable to use \"format\" (deprecated) and a custom \"cid-codec\" at the same time");
    }
    int version = 1;
    if (format != null && !format.isEmpty()) {
      if (format.equals("v0")) {
        version = 0;
      }
      codecName = switch (format) {
        case "v0", "protobuf" -> "dag-pb";
        case "cbor" -> "dag-cbor";
        default -> format;
      };
    }
    String codecText = codecName == null || codecName.isEmpty() ? "raw" : codecName;
    Multicodec codec = Multicodec.byName(codecText)
        .orElseThrow(() -> RpcException.badRequest("unknown cid-codec '" + codecText + "'"));
    String hashText = Optional.ofNullable(call.option("mhtype")).orElse("sha2-256");
    Multicodec hash = Multicodec.byName(hashText).filter(Multihash::isSupported)
        .orElseThrow(() -> RpcException.badRequest("unsupported mhtype '" + hashText + "'"));
    long mhlen = call.longOption("mhlen", -1);
    if (mhlen != -1) {
      throw RpcException.badRequest("option 'mhlen' is not supported (the hash function's full length is used)");
    }
    if (version == 0 && hash != Multicodec.SHA2_256) {
      throw RpcException.badRequest("only sha2-255-32 is allowed with CIDv0");
    }
    boolean pin = call.flag("pin", false);
    int maxBlock = call.flag("allow-big-block", false) ? Block.MAX_SIZE : KUBO_BLOCK_SIZE_LIMIT;
    MultipartReader form = new MultipartReader(call.body(), MultipartReader.boundary(call.header("Content-Type")),
        MultipartReader.Limits.DEFAULT);
    List<Block> stored = new ArrayList<>();
    try (BlockImport session = node.importBlocks(ImportKind.BLOCK_PUT)) {
      for (Optional<MultipartReader.Part> part = form.next(); part.isPresent(); part = form.next()) {
        byte[] data = part.get().content().readNBytes(maxBlock + 1);
        if (data.length > maxBlock) {
          throw RpcException.badRequest("produced block is over " + (maxBlock == KUBO_BLOCK_SIZE_LIMIT ? "1MiB" : maxBlock + " bytes")
              + (maxBlock == KUBO_BLOCK_SIZE_LIMIT ? ": big blocks can't be exchanged with other peers; use allow-big-block to override" : ""));
        }
        Block block;
        try {
          block = new Block(Cid.of(version, codec, hash, data), data);
        } catch (IllegalArgumentException e) {
          throw RpcException.badRequest(e.getMessage());
        }
        session.put(block);
        stored.add(block);
      }
      if (stored.isEmpty()) {
        throw RpcException.badRequest("expected a file argument: the form has no part");
      }
      PinResult pinned = session.finish(pin ? stored.stream().map(Block::cid).distinct().toList() : List.of());
      if (pinned.failed()) {
        throw new RpcException(RpcError.FAILED, pinned.failure());
      }
    }
    try (OutputStream out = call.respondStream("application/json", -1)) {
      for (Block b : stored) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("Key", b.cid().toString());
        line.put("Size", b.data().length);
        out.write(JSON.writeValueAsBytes(line));
        out.write('\n');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // get

  /**
   * Kubo's {@code get}: the file or folder tree at {@code arg} as a tar, named after the path's
   * last segment (the CID for a bare CID), folders {@code 0777} and files {@code 0644} as boxo's
   * tar writer. {@code archive} is accepted (the answer is always a tar, as Kubo's over HTTP);
   * {@code compress} is not supported.
   */
  private void get(RpcCall call) throws Exception {
    String path = call.arg();
    if (call.flag("compress", false)) {
      throw RpcException.badRequest("option 'compress' is not supported: the answer is an uncompressed tar");
    }
    Exporter exporter = node.exporter();
    Exporter.Resolved root = exporter.resolve(path);
    String trimmed = path.startsWith("/ipfs/") ? path.substring(6) : path;
    List<String> parts = new ArrayList<>(List.of(trimmed.split("/")));
    parts.removeIf(String::isEmpty);
    String name = parts.get(parts.size() - 1);
    checkEntryNames(exporter, root);
    long now = System.currentTimeMillis() / 1000;
    try (OutputStream out = call.respondStream("application/x-tar", -1)) {
      TarStream tar = new TarStream(out, now);
      writeTree(exporter, root, name, tar);
      tar.finish();
    }
  }

  /**
   * Refuses, before the first byte of the tar, a tree with an entry name that would point outside
   * it once extracted ({@code ..}, {@code .}, a slash or backslash, NUL, empty) or two entries of
   * one folder with the same name (a symlink, then a file written through it). Any DAG can hold
   * such links; a tar entry {@code root/../../x} would be written by a careless extractor outside
   * the folder it extracts into.
   */
  private static void checkEntryNames(Exporter exporter, Exporter.Resolved node) throws IOException {
    if (node.type() != UnixFsType.DIRECTORY && node.type() != UnixFsType.HAMT_SHARD) {
      return;
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (Exporter.DirEntry e : exporter.list(node.cid())) {
      String n = e.name();
      if (n.isEmpty() || n.equals(".") || n.equals("..") || n.indexOf('/') >= 0 || n.indexOf('\\') >= 0
          || n.indexOf('\0') >= 0) {
        throw RpcException.badRequest("directory " + node.cid() + " has an unsafe entry name '" + n.replace("\0", "\\0")
            + "': it is not written to a tar");
      }
      if (!names.add(n)) {
        throw RpcException.badRequest("directory " + node.cid() + " has two entries named '" + n + "'");
      }
      checkEntryNames(exporter, exporter.resolve(e.cid().toString()));
    }
  }

  private static void writeTree(Exporter exporter, Exporter.Resolved node, String name, TarStream tar) throws IOException {
    UnixFsType type = node.type();
    switch (type) {
      case DIRECTORY, HAMT_SHARD -> {
        tar.directory(name);
        for (Exporter.DirEntry e : exporter.list(node.cid())) {
          writeTree(exporter, exporter.resolve(e.cid().toString()), name + "/" + e.name(), tar);
        }
      }
      case SYMLINK -> tar.symlink(name, symlinkTarget(exporter, node.cid()));
      default -> {
        long size = exporter.fileSize(node.cid());
        OutputStream content = tar.file(name, size);
        exporter.cat(node.cid(), 0, -1, content);
        tar.endFile(size);
      }
    }
  }

  /** A symlink's target: the exporter writes symlinks only to disk, so one is written and read back. */
  private static String symlinkTarget(Exporter exporter, Cid cid) throws IOException {
    Path dir = Files.createTempDirectory("canopy-rpc-get-");
    try {
      Path link = dir.resolve("link");
      exporter.get(cid, link);
      return Files.readSymbolicLink(link).toString();
    } finally {
      Files.deleteIfExists(dir.resolve("link"));
      Files.deleteIfExists(dir);
    }
  }

  /**
   * A POSIX ustar stream (IEEE Std 1003.1-2001 {@code pax} format): a 512-byte header per entry,
   * content padded to 512, two zero blocks at the end; names over 100 bytes get a pax extended
   * header ({@code path=}), targets over 100 bytes one with {@code linkpath=}.
   */
  static final class TarStream {
    private static final int BLOCK = 512;
    private final OutputStream out;
    private final long mtime;

    TarStream(OutputStream out, long mtime) {
      this.out = out;
      this.mtime = mtime;
    }

    void directory(String name) throws IOException {
      header(name + "/", '5', 0777, 0, "");
    }

    void symlink(String name, String target) throws IOException {
      header(name, '2', 0777, 0, target);
    }

    /** Writes the header; the caller writes exactly {@code size} bytes to the answer, then calls {@link #endFile}. */
    OutputStream file(String name, long size) throws IOException {
      header(name, '0', 0644, size, "");
      return new java.io.FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() {
          // the tar goes on
        }
      };
    }

    void endFile(long size) throws IOException {
      pad(size);
    }

    void finish() throws IOException {
      out.write(new byte[2 * BLOCK]);
      out.flush();
    }

    private void pad(long size) throws IOException {
      int rest = (int) (size % BLOCK);
      if (rest != 0) {
        out.write(new byte[BLOCK - rest]);
      }
    }

    private void header(String name, char type, int mode, long size, String link) throws IOException {
      byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
      byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
      if (nameBytes.length > 100 || linkBytes.length > 100) {
        StringBuilder pax = new StringBuilder();
        if (nameBytes.length > 100) {
          pax.append(paxRecord("path", name));
        }
        if (linkBytes.length > 100) {
          pax.append(paxRecord("linkpath", link));
        }
        byte[] records = pax.toString().getBytes(StandardCharsets.UTF_8);
        out.write(rawHeader(truncate(("PaxHeaders/" + name).getBytes(StandardCharsets.UTF_8)), 'x', 0644, records.length,
            new byte[0]));
        out.write(records);
        pad(records.length);
      }
      out.write(rawHeader(truncate(nameBytes), type, mode, size, truncate(linkBytes)));
    }

    private static byte[] truncate(byte[] b) {
      return b.length <= 100 ? b : java.util.Arrays.copyOf(b, 100);
    }

    /** "LEN key=value\n", where LEN counts the whole record, its own digits included. */
    private static String paxRecord(String key, String value) {
      int body = key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length + 3;
      int len = body + Integer.toString(body).length();
      if (Integer.toString(len).length() != Integer.toString(body).length()) {
        len++;
      }
      return len + " " + key + "=" + value + "\n";
    }

    private byte[] rawHeader(byte[] name, char type, int mode, long size, byte[] link) {
      byte[] h = new byte[BLOCK];
      System.arraycopy(name, 0, h, 0, name.length);
      octal(h, 100, 8, mode);
      octal(h, 108, 8, 0); // uid
      octal(h, 116, 8, 0); // gid
      octal(h, 124, 12, size);
      octal(h, 136, 12, mtime);
      h[156] = (byte) type;
      System.arraycopy(link, 0, h, 157, link.length);
      byte[] magic = "ustar\u000000".getBytes(StandardCharsets.ISO_8859_1);
      System.arraycopy(magic, 0, h, 257, magic.length);
      // The checksum is computed with its own field as spaces.
      for (int i = 148; i < 156; i++) {
        h[i] = ' ';
      }
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xFF;
      }
      octal(h, 148, 7, sum);
      h[155] = ' ';
      return h;
    }

    /** {@code value} in octal, zero-padded to {@code width - 1} digits and NUL-terminated. */
    private static void octal(byte[] h, int off, int width, long value) {
      String digits = Long.toOctalString(value);
      if (digits.length() > width - 1) {
        throw new IllegalArgumentException("value " + value + " does not fit a tar header field");
      }
      String padded = "0".repeat(width - 1 - digits.length()) + digits;
      byte[] b = padded.getBytes(StandardCharsets.ISO_8859_1);
      System.arraycopy(b, 0, h, off, b.length);
      h[off + width - 1] = 0;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // pin/ls, id, version

  /** {@code stream=true} (what kubo-rpc-client asks): one {@code {"Cid","Type"}} line per pin; else the daemon's {@code {"Keys"}}. */
  private void pinLs(RpcCall call) throws Exception {
    if (!call.flag("stream", false)) {
      daemon.pinLs(call);
      return;
    }
    List<Pin> pins = daemon.pins(call);
    try (OutputStream out = call.respondStream("application/json", -1)) {
      for (Pin p : pins) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("Cid", p.cid().toString());
        line.put("Type", HttpNodeApi.name(p.type()));
        out.write(JSON.writeValueAsBytes(line));
        out.write('\n');
      }
    }
  }

  /** Kubo's fields: the daemon API's, plus the protocols this node serves. Another peer's ID is not looked up. */
  private void id(RpcCall call) throws Exception {
    Map<String, Object> id = daemon.idFields();
    List<String> args = call.args(0, 1);
    if (!args.isEmpty() && !args.get(0).equals(id.get("ID"))) {
      throw new RpcException(RpcError.FAILED, "looking up another peer's identity is not supported");
    }
    id.put("Protocols", host.protocols().stream().sorted().toList());
    call.respondJson(id);
  }

  /** Kubo's fields, with Canopy's version; {@code Golang} names the Java runtime instead. */
  private void version(RpcCall call) throws Exception {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("Version", VersionCommand.version());
    v.put("Commit", "");
    v.put("Repo", "canopy");
    v.put("System", System.getProperty("os.arch") + "/" + System.getProperty("os.name").toLowerCase(Locale.ROOT));
    v.put("Golang", "java" + Runtime.version().feature());
    call.respondJson(v);
  }
}
