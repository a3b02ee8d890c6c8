package io.canopy.gateway.s3.meta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: {@code initdb} in a temp dir, {@code pg_ctl start} on
 * a free 127.0.0.1 port (Unix socket in the same dir), stopped and deleted at JVM exit. PostgreSQL
 * refuses to run as root, so when the tests run as root the dir is given to the {@code postgres}
 * user and the binaries run through {@code runuser -u postgres --} (or {@code su postgres}).
 *
 * <p>The cluster's default collation is ICU {@code en-US} where available (Debian's build has
 * ICU): text there does not sort byte-wise, so a listing that relied on text order would fail.
 *
 * <p>Binaries: {@code $CANOPY_PG_BIN}, else the newest {@code /usr/lib/postgresql/<v>/bin}, else
 * {@code initdb} on the PATH. Without them the tests fail, saying to install Debian's
 * {@code postgresql} package.
 */
final class EmbeddedPostgres implements AutoCloseable {
  static final String USER = "canopy";
  private static final long COMMAND_TIMEOUT_SECONDS = 120;
  private static EmbeddedPostgres shared;

  private final Path bin;
  private final Path dir;
  private final List<String> runAs;
  private final int port;
  private final AtomicInteger databases = new AtomicInteger();
  private boolean stopped;

  private EmbeddedPostgres(Path bin, Path dir, List<String> runAs, int port) {
    this.bin = bin;
    this.dir = dir;
    this.runAs = runAs;
    this.port = port;
  }

  /** The cluster shared by every test of this JVM, started on first use. */
  static synchronized EmbeddedPostgres shared() throws IOException {
    if (shared == null) {
      shared = start(findBinaries(System.getenv(), defaultCandidates()));
      EmbeddedPostgres started = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-postgres-stop"));
    }
    return shared;
  }

  /** Where PostgreSQL's server binaries usually are on Debian, newest version first. */
  static List<Path> defaultCandidates() {
    List<Path> out = new ArrayList<>();
    Path versions = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(versions)) {
      try (Stream<Path> list = Files.list(versions)) {
        list.sorted(Comparator.comparing(EmbeddedPostgres::versionOf).reversed())
            .forEach(v -> out.add(v.resolve("bin")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(":")) {
        Path initdb = Path.of(entry.isEmpty() ? "." : entry, "initdb");
        if (Files.isExecutable(initdb)) {
          try {
            out.add(initdb.toRealPath().getParent()); // /usr/local/bin/initdb -> .../15/bin, where pg_ctl is
          } catch (IOException e) {
            // a dangling link: not a candidate
          }
        }
      }
    }
    return out;
  }

  private static double versionOf(Path dir) {
    try {
      return Double.parseDouble(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The first directory holding {@code initdb}, {@code pg_ctl} and {@code postgres}, or a clear failure. */
  static Path findBinaries(Map<String, String> env, List<Path> candidates) {
    List<Path> all = new ArrayList<>();
    String override = env.get("CANOPY_PG_BIN");
    if (override != null && !override.isEmpty()) {
      all.add(Path.of(override));
    }
    all.addAll(candidates);
    for (Path dir : all) {
      if (Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"))
          && Files.isExecutable(dir.resolve("postgres"))) {
        return dir;
      }
    }
    throw new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in " + all
        + ". The S3 metadata tests start a real PostgreSQL: install Debian's server package "
        + "(apt-get install -y postgresql), or set CANOPY_PG_BIN to a directory holding them.");
  }

  private static EmbeddedPostgres start(Path bin) throws IOException {
    Path dir = Files.createTempDirectory("canopy-pg-");
    List<String> runAs = List.of();
    if ("root".equals(System.getProperty("user.name"))) {
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
      runAs = Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser"))
          ? List.of("runuser", "-u", "postgres", "--")
          : List.of("su", "postgres", "-s", "/bin/sh", "-c");
    }
    EmbeddedPostgres pg = null;
    try {
      Path data = dir.resolve("data");
      List<String> initdb = List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust",
          "-E", "UTF8", "--locale=C.UTF-8");
      List<String> icu = List.of("--locale-provider=icu", "--icu-locale=en-US");
      if (run(runAs, concat(initdb, icu), dir, "initdb") != 0) {
        deleteTree(data);
        if (run(runAs, initdb, dir, "initdb") != 0) {
          throw new IOException("initdb failed: " + tail(dir.resolve("initdb.out")));
        }
      }
      IOException last = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
            + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        int rc = run(runAs, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
            dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o", options, "start"), dir, "pg_ctl");
        if (rc == 0) {
          pg = new EmbeddedPostgres(bin, dir, runAs, port);
          return pg;
        }
        last = new IOException("pg_ctl start failed (port " + port + "): " + tail(dir.resolve("pg_ctl.out")) + "\n"
            + tail(dir.resolve("postgres.log")));
      }
      throw last;
    } finally {
      if (pg == null) {
        deleteTree(dir);
      }
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Runs a command (as the postgres user if needed), output to {@code dir/name.out}; its exit code. */
  private static int run(List<String> runAs, List<String> command, Path dir, String name) throws IOException {
    List<String> full = new ArrayList<>(runAs);
    if (!runAs.isEmpty() && runAs.get(0).equals("su")) {
      full.add(String.join(" ", command.stream().map(EmbeddedPostgres::shellQuote).toList()));
    } else {
      full.addAll(command);
    }
    Process p = new ProcessBuilder(full)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    try {
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(name + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + name, e);
    }
    return p.exitValue();
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static String tail(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no " + file.getFileName() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: a temp dir
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }

  int port() {
    return port;
  }

  /** A JDBC URL for database {@code name} of this cluster. */
  String url(String name) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name + "?user=" + USER;
  }

  /** A new empty database (one per test, so tests do not see each other's rows); its name. */
  String createDatabase() throws SQLException {
    String name = "canopy_test_" + databases.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres")); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  /** Stops the server at once and deletes the cluster; idempotent. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      run(runAs, List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w",
          "stop"), dir, "pg_ctl-stop");
    } catch (IOException e) {
      // the directory goes anyway; a stray server dies with its files
    }
    deleteTree(dir);
  }
}
