package io.canopy.cli;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.cli.rpc.ApiEndpoint;
import io.canopy.cli.rpc.MultipartReader;
import io.canopy.cli.rpc.RpcException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Coverage-guided fuzzing of what the daemon and the CLI read from files in their home and from
 * clients of the local API (the Kubo RPC). Each branch calls the real reader as the command or
 * route does and accepts only its documented refusal; anything else escapes and is a finding.
 *
 * <ul>
 *   <li>{@link DaemonSettings#apply} ({@code daemon.json}): only {@link CommandException}; a
 *       refusal of a setting names its key.
 *   <li>{@code DevnetCommand.Layout.prepare} ({@code devnet.json} of an existing devnet folder):
 *       only {@link CommandException}, naming the file.
 *   <li>{@link Home#readConfig} and {@link HomeConfig#privateKey} ({@code config.json}, the node's
 *       identity), then the storage room as the daemon reads it: {@link CommandException} from
 *       reading and sizing, {@link IllegalArgumentException} from the key (which the callers turn
 *       into a {@link CommandException}).
 *   <li>{@link ApiEndpoint#read} (the {@code api} file clients find the daemon by): only {@link IOException}.
 *   <li>{@link MultipartReader} (Kubo RPC {@code add} bodies) with {@link MultipartReader#boundary},
 *       read in fuzzed short reads, and {@code KuboRpcRoutes.segments} on each part's filename:
 *       only {@link RpcException}.
 *   <li>{@code RpcCall.parseQuery} (every RPC's arguments) and {@code DaemonRoutes.cid} on each
 *       {@code arg}: only {@link RpcException}.
 *   <li>The option values a settings file or command line gives ({@link ByteSize#parse},
 *       {@code DaemonCommand.duration}, multiaddrs, {@code --model}, {@code --database}): only
 *       {@link CommandException}.
 * </ul>
 */
class CliDecodersFuzzTest {
  private static final int MAX_INPUT = 64 * 1024;
  /** One folder per JVM for the files the readers take; each execution overwrites them. */
  private static final Path DIR;
  private static final MethodHandle PARSE_QUERY;
  /** Building canopy's command line (every command's options) costs far more than a settings file's check. */
  private static final CommandLine COMMAND_LINE;

  static {
    try {
      DIR = Files.createTempDirectory("canopy-cli-fuzz");
      DIR.toFile().deleteOnExit();
      Class<?> call = Class.forName("io.canopy.cli.rpc.RpcCall");
      PARSE_QUERY = MethodHandles.privateLookupIn(call, MethodHandles.lookup())
          .findStatic(call, "parseQuery", MethodType.methodType(List.class, String.class, int.class));
      PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      COMMAND_LINE = Canopy.commandLine(new ProcessEnvironment(new ByteArrayInputStream(new byte[0]), sink, sink, Map.of(), DIR, DIR,
          false));
    } catch (IOException | ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private enum Decoder { DAEMON_SETTINGS, DEVNET_LAYOUT, HOME_CONFIG, API_ENDPOINT, MULTIPART, RPC_QUERY, OPTION_VALUES }

  @FuzzTest
  void decode(FuzzedDataProvider data) throws Throwable {
    Decoder decoder = Decoder.values()[data.consumeInt(0, Decoder.values().length - 1)];
    switch (decoder) {
      case DAEMON_SETTINGS -> daemonSettings(data.consumeBytes(MAX_INPUT));
      case DEVNET_LAYOUT -> devnetLayout(data.consumeBytes(MAX_INPUT));
      case HOME_CONFIG -> homeConfig(data.consumeBytes(MAX_INPUT));
      case API_ENDPOINT -> apiEndpoint(data.consumeBytes(MAX_INPUT));
      case MULTIPART -> multipart(data);
      case RPC_QUERY -> rpcQuery(data.consumeString(MAX_INPUT));
      case OPTION_VALUES -> optionValues(data);
    }
  }

  private static void daemonSettings(byte[] bytes) throws IOException {
    Path file = DIR.resolve(DaemonSettings.FILE_NAME);
    Files.write(file, bytes);
    // Each parse resets the options to their defaults, so one command line serves every execution.
    CommandSpec daemon = COMMAND_LINE.parseArgs("daemon").subcommand().commandSpec();
    try {
      DaemonSettings.apply(daemon, file);
    } catch (CommandException refused) {
      if (refused.getMessage() == null || !refused.getMessage().contains(file.toString())) {
        throw new AssertionError("a refusal of daemon.json that does not name the file: " + refused.getMessage(), refused);
      }
    }
  }

  private static void devnetLayout(byte[] bytes) throws Exception {
    Files.write(DIR.resolve("devnet.json"), bytes);
    try {
      DevnetCommand.Layout layout = DevnetCommand.Layout.prepare(DIR, 1, 0, 1, Duration.ofSeconds(10));
      if (layout.networkId().isEmpty() || layout.epochLengthMillis() <= 0 || layout.validatorIds().size() != 1) {
        throw new AssertionError("devnet.json read as a layout that cannot run: " + layout);
      }
    } catch (CommandException refused) {
      if (!refused.getMessage().contains("devnet")) {
        throw new AssertionError("a refusal of devnet.json that does not name it: " + refused.getMessage(), refused);
      }
    }
  }

  private static void homeConfig(byte[] bytes) throws IOException {
    Home home = new Home(DIR.resolve("home"));
    Files.createDirectories(home.dir());
    Files.write(home.configFile(), bytes);
    HomeConfig config;
    try {
      config = home.readConfig();
    } catch (CommandException refused) {
      return;
    }
    try {
      config.privateKey();
    } catch (IllegalArgumentException refused) {
      // DaemonNode and RepoNodeApi refuse the home with this message
    }
    try {
      ByteSize.parse(config.storageMax(), "Datastore.StorageMax");
    } catch (CommandException refused) {
      // not a size
    }
  }

  private static void apiEndpoint(byte[] bytes) throws IOException {
    Path file = DIR.resolve("api");
    Files.write(file, bytes);
    try {
      Optional<ApiEndpoint> endpoint = ApiEndpoint.read(file);
      if (endpoint.isEmpty()) {
        throw new AssertionError("an existing api file read as no file");
      }
    } catch (IOException refused) {
      // not an API file: clients say so
    }
  }

  private static void multipart(FuzzedDataProvider data) throws IOException {
    String contentType = data.consumeBoolean() ? "multipart/form-data; boundary=" + data.consumeString(80) : data.consumeString(200);
    int maxRead = data.consumeInt(1, 70_000);
    long seed = data.consumeLong();
    byte[] body = data.consumeBytes(MAX_INPUT);
    try {
      String boundary = MultipartReader.boundary(contentType);
      MultipartReader reader = new MultipartReader(new ShortReads(body, seed), boundary, new MultipartReader.Limits(1024, 8, 64));
      SplittableRandom random = new SplittableRandom(seed);
      byte[] buf = new byte[maxRead];
      Optional<MultipartReader.Part> part;
      while ((part = reader.next()).isPresent()) {
        part.get().contentType();
        KuboRpcRoutes.segments(part.get().filename());
        if (random.nextBoolean()) {
          continue; // next() skips the rest
        }
        InputStream content = part.get().content();
        while (true) {
          int n = content.read(buf, 0, 1 + random.nextInt(maxRead));
          if (n < 0) {
            break;
          }
          if (n == 0) {
            throw new AssertionError("a part's content read 0 bytes into a non-empty buffer");
          }
        }
      }
    } catch (RpcException refused) {
      // 400 or 415 with the reason
    }
  }

  @SuppressWarnings("unchecked")
  private static void rpcQuery(String raw) throws Throwable {
    try {
      List<Map.Entry<String, String>> query = (List<Map.Entry<String, String>>) PARSE_QUERY.invoke(raw, 64);
      for (Map.Entry<String, String> e : query) {
        if (e.getKey().equals("arg")) {
          DaemonRoutes.cid(e.getValue());
        }
      }
    } catch (RpcException refused) {
      // 400 with the reason
    }
  }

  private static void optionValues(FuzzedDataProvider data) {
    int which = data.consumeInt(0, 4);
    String text = data.consumeRemainingAsString();
    try {
      switch (which) {
        case 0 -> ByteSize.parse(text, "--storage-max");
        case 1 -> DaemonCommand.duration(text, "--fetch-timeout");
        case 2 -> DaemonCommand.parse(List.of(text), "--listen");
        case 3 -> ComputeService.ModelSpec.parse(text);
        default -> GatewayDatabase.jdbcUrl(text);
      }
    } catch (CommandException refused) {
      // the option is named in the message
    }
  }

  /** A body that arrives in pieces of random size, as it does from a socket. */
  private static final class ShortReads extends ByteArrayInputStream {
    private final SplittableRandom random;

    ShortReads(byte[] bytes, long seed) {
      super(bytes);
      random = new SplittableRandom(~seed);
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      return super.read(b, off, len == 0 ? 0 : 1 + random.nextInt(Math.min(len, 1500)));
    }
  }
}
