package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.cli.rpc.RpcConfig;
import io.canopy.cli.rpc.RpcServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubo RPC face on a real token-free {@link RpcServer} over a daemon's node, driven with
 * java.net.http and multipart bodies framed as kubo-rpc-client frames them: CIDs equal to
 * {@code canopy add}'s for the same options, content round trips through cat and get, and broken
 * bodies refused with nothing pinned.
 */
class KuboRpcRoutesTest {
  static final String BOUNDARY = "-----------------------------kuboRpcRoutesTest";

  @TempDir Path tmp;
  Path home;
  Daemons.InProcess daemon;
  RpcServer rpc;
  final List<String> log = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    home = tmp.resolve("home");
    cli().run("init").ok();
    daemon = Daemons.inProcess(home);
    rpc = RpcServer.withoutToken(new InetSocketAddress("127.0.0.1", 0), RpcConfig.defaults(), ErrorReport::describe, log::add);
    KuboRpcRoutes.register(rpc, daemon.node().node(), daemon.node().host());
    rpc.start();
  }

  @AfterEach
  void stop() {
    rpc.close();
    daemon.close();
  }

  /** A CLI that computes CIDs only ({@code -n}), so it never touches the daemon's home. */
  CliRun cli() {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  // -- requests ---------------------------------------------------------------------------------

  record Part(String fieldName, String filename, String contentType, byte[] content) {
    static Part file(String path, byte[] content) {
      return new Part("file", path, "application/octet-stream", content);
    }

    static Part dir(String path) {
      return new Part("dir", path, "application/x-directory", null);
    }
  }

  /** The body kubo-rpc-client's multipart-request.node.js sends for these parts. */
  static byte[] multipart(List<Part> parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < parts.size(); i++) {
      Part p = parts.get(i);
      if (i > 0) {
        b.writeBytes(ascii("\r\n"));
      }
      String field = p.fieldName() + (i > 0 ? "-" + i : "");
      b.writeBytes(ascii("--" + BOUNDARY + "\r\n"));
      b.writeBytes(("Content-Disposition: form-data; name=\"" + field + "\"; filename=\""
          + URLEncoder.encode(p.filename(), StandardCharsets.UTF_8).replace("+", "%20") + "\"\r\n").getBytes(StandardCharsets.UTF_8));
      b.writeBytes(ascii("Content-Type: " + p.contentType() + "\r\n\r\n"));
      if (p.content() != null) {
        b.writeBytes(p.content());
      }
    }
    b.writeBytes(ascii("\r\n--" + BOUNDARY + "--\r\n"));
    return b.toByteArray();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  HttpResponse<byte[]> post(String command, String query, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(rpc.url() + "/api/v0/" + command + (query.isEmpty() ? "" : "?" + query)))
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      r.header("Content-Type", contentType);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> post(String command, String query) throws Exception {
    return post(command, query, null, null);
  }

  List<JsonNode> add(String query, List<Part> parts) throws Exception {
    HttpResponse<byte[]> r = post("add", query, "multipart/form-data; boundary=" + BOUNDARY, multipart(parts));
    assertThat(r.statusCode()).as("add: %s", text(r)).isEqualTo(200);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : text(r).split("\n")) {
      lines.add(HomeConfig.JSON.readTree(line));
    }
    return lines;
  }

  static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    return HomeConfig.JSON.readTree(r.body());
  }

  /** "added CID NAME" lines of {@code canopy add -n ARGS}, as {CID, NAME} pairs. */
  List<List<String>> canopyAdd(String... args) {
    List<String> command = new ArrayList<>(List.of("add", "-n"));
    command.addAll(List.of(args));
    return cli().run(command.toArray(String[]::new)).ok().lines().stream()
        .map(l -> List.of(l.split(" ", 3)[1], l.split(" ", 3)[2]))
        .toList();
  }

  static List<List<String>> hashAndName(List<JsonNode> lines) {
    return lines.stream().map(l -> List.of(l.get("Hash").asText(), l.get("Name").asText())).toList();
  }

  Map<String, String> pins() throws Exception {
    HttpResponse<byte[]> r = post("pin/ls", "type=recursive");
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, String> out = new LinkedHashMap<>();
    json(r).get("Keys").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().get("Type").asText()));
    return out;
  }

  // -- add ----------------------------------------------------------------------------------------

  @Test
  void addOfAFileGivesCanopyAddsCidsWithTheOptionsKuboClientsSend() throws Exception {
    byte[] data = new byte[700_000];
    new Random(1).nextBytes(data);
    Path file = Files.write(tmp.resolve("data.bin"), data);

    List<JsonNode> v0 = add("stream-channels=true&progress=false", List.of(Part.file("data.bin", data)));
    assertThat(hashAndName(v0)).isEqualTo(canopyAdd(file.toString()));
    assertThat(v0.get(0).get("Size").isTextual()).as("Kubo's Size is a string").isTrue();
    assertThat(Long.parseLong(v0.get(0).get("Size").asText())).isGreaterThan(data.length);

    List<JsonNode> v1 = add("cid-version=1&chunker=size-65536&stream-channels=true", List.of(Part.file("data.bin", data)));
    assertThat(hashAndName(v1)).isEqualTo(canopyAdd("--cid-version", "1", "--chunker", "size-65536", file.toString()));

    List<JsonNode> noRaw = add("cid-version=1&raw-leaves=false&trickle=true", List.of(Part.file("data.bin", data)));
    assertThat(hashAndName(noRaw)).isEqualTo(canopyAdd("--cid-version", "1", "--raw-leaves=false", "--trickle", file.toString()));

    // An unnamed file (kubo-rpc-client's add(bytes)) is named after its CID, as Kubo does.
    List<JsonNode> unnamed = add("", List.of(Part.file("", data)));
    assertThat(unnamed).singleElement().satisfies(l -> assertThat(l.get("Name").asText()).isEqualTo(l.get("Hash").asText()));
    assertThat(unnamed.get(0).get("Hash").asText()).isEqualTo(v0.get(0).get("Hash").asText());

    assertThat(pins()).containsEntry(v0.get(0).get("Hash").asText(), "recursive")
        .containsEntry(v1.get(0).get("Hash").asText(), "recursive");
  }

  @Test
  void addOfADirectoryGivesCanopyAddsCidsAndNamesInKubosOrder() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("src/My Dir"));
    byte[] big = new byte[300_000];
    new Random(2).nextBytes(big);
    Files.writeString(d.resolve("a.txt"), "hello\n");
    Files.writeString(d.resolve(".hidden"), "sent by the client, so added\n");
    Files.createDirectories(d.resolve("sub/empty"));
    Files.write(d.resolve("sub/b.bin"), big);
    Path top = Files.writeString(tmp.resolve("src/top.txt"), "top\n");

    List<Part> parts = List.of(
        Part.file("top.txt", ascii("top\n")),
        Part.dir("My Dir"),
        Part.file("My Dir/.hidden", ascii("sent by the client, so added\n")),
        Part.file("My Dir/a.txt", ascii("hello\n")),
        Part.dir("My Dir/sub"),
        Part.file("My Dir/sub/b.bin", big),
        Part.dir("My Dir/sub/empty"));
    List<JsonNode> lines = add("chunker=size-100000", parts);
    List<List<String>> expected = new ArrayList<>(canopyAdd("--chunker", "size-100000", top.toString()));
    expected.addAll(canopyAdd("-r", "-H", "--chunker", "size-100000", d.toString()));
    assertThat(hashAndName(lines)).isEqualTo(expected);
    assertThat(pins()).containsKeys(expected.get(0).get(0), expected.get(expected.size() - 1).get(0));

    // Parents given only by their children's paths, and wrapped: the wrapper is the one root.
    List<JsonNode> wrapped = add("wrap-with-directory=true&cid-version=1", List.of(
        Part.file("top.txt", ascii("top\n")),
        Part.file("My Dir/a.txt", ascii("hello\n")),
        Part.file("My Dir/.hidden", ascii("sent by the client, so added\n")),
        Part.file("My Dir/sub/b.bin", big),
        Part.dir("My Dir/sub/empty")));
    List<List<String>> expectedWrapped = canopyAdd("-r", "-H", "-w", "--cid-version", "1", top.toString(), d.toString());
    assertThat(hashAndName(wrapped)).isEqualTo(expectedWrapped);
    String wrapper = wrapped.get(wrapped.size() - 1).get("Hash").asText();
    assertThat(wrapped.get(wrapped.size() - 1).get("Name").asText()).isEmpty();
    assertThat(pins()).containsEntry(wrapper, "recursive").doesNotContainKey(wrapped.get(0).get("Hash").asText());
  }

  @Test
  void onlyHashAndPinFalseStoreOrPinNothing() throws Exception {
    List<JsonNode> hashed = add("only-hash=true", List.of(Part.file("x.txt", ascii("only hashed\n"))));
    String cid = hashed.get(0).get("Hash").asText();
    assertThat(post("block/stat", "arg=" + cid).statusCode()).isEqualTo(500);

    List<JsonNode> unpinned = add("pin=false", List.of(Part.file("y.txt", ascii("stored, not pinned\n"))));
    String stored = unpinned.get(0).get("Hash").asText();
    assertThat(post("block/stat", "arg=" + stored).statusCode()).isEqualTo(200);
    assertThat(pins()).doesNotContainKeys(cid, stored);
  }

  @Test
  void badBodiesAreRefusedWith400AndNothingPinned() throws Exception {
    Map<String, String> before = pins();
    byte[] good = multipart(List.of(Part.dir("d"), Part.file("d/a.txt", ascii("a")), Part.file("d/b.txt", ascii("b"))));
    byte[] truncated = Arrays.copyOf(good, good.length - 20);
    String type = "multipart/form-data; boundary=" + BOUNDARY;

    HttpResponse<byte[]> cut = post("add", "", type, truncated);
    assertThat(cut.statusCode()).isEqualTo(400);
    assertThat(json(cut).get("Message").asText()).contains("malformed multipart body");
    assertThat(json(cut).get("Type").asText()).isEqualTo("error");

    HttpResponse<byte[]> noBoundary = post("add", "", "multipart/form-data", good);
    assertThat(noBoundary.statusCode()).isEqualTo(400);
    assertThat(json(noBoundary).get("Message").asText()).contains("boundary");

    HttpResponse<byte[]> notMultipart = post("add", "", "application/octet-stream", ascii("raw bytes"));
    assertThat(notMultipart.statusCode()).isEqualTo(415);

    HttpResponse<byte[]> escape = post("add", "", type, multipart(List.of(Part.file("../../etc/x", ascii("x")))));
    assertThat(escape.statusCode()).isEqualTo(400);
    assertThat(json(escape).get("Message").asText()).contains("'..'");

    HttpResponse<byte[]> twice = post("add", "wrap-with-directory=true", type,
        multipart(List.of(Part.file("a", ascii("1")), Part.file("a", ascii("2")))));
    assertThat(twice.statusCode()).isEqualTo(400);

    HttpResponse<byte[]> empty = post("add", "", type, ascii("--" + BOUNDARY + "--\r\n"));
    assertThat(empty.statusCode()).isEqualTo(400);

    HttpResponse<byte[]> badOption = post("add", "chunker=rabin-1-2-3", type, good);
    assertThat(badOption.statusCode()).isEqualTo(400);
    assertThat(json(badOption).get("Message").asText()).contains("rabin");

    assertThat(pins()).isEqualTo(before);
    assertThat(post("add", "", type, good).statusCode()).as("the server serves on").isEqualTo(200);
  }

  // -- cat, get ---------------------------------------------------------------------------------

  @Test
  void catAndGetGiveTheAddedBytesBack() throws Exception {
    byte[] big = new byte[600_000];
    new Random(4).nextBytes(big);
    List<JsonNode> lines = add("", List.of(Part.dir("d"), Part.file("d/a.txt", ascii("hello\n")),
        Part.dir("d/sub"), Part.file("d/sub/big.bin", big)));
    String root = lines.get(lines.size() - 1).get("Hash").asText();

    HttpResponse<byte[]> whole = post("cat", "arg=" + root + "/sub/big.bin");
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(big);
    HttpResponse<byte[]> range = post("cat", "arg=/ipfs/" + root + "/sub/big.bin&offset=262000&length=1000");
    assertThat(range.body()).isEqualTo(Arrays.copyOfRange(big, 262_000, 263_000));
    assertThat(post("cat", "arg=" + root).statusCode()).as("cat of a folder").isEqualTo(500);

    HttpResponse<byte[]> dirTar = post("get", "arg=" + root);
    assertThat(dirTar.statusCode()).isEqualTo(200);
    assertThat(dirTar.headers().firstValue("Content-Type")).hasValue("application/x-tar");
    Map<String, byte[]> entries = untar(dirTar.body());
    assertThat(entries.keySet()).containsExactly(root + "/", root + "/a.txt", root + "/sub/", root + "/sub/big.bin");
    assertThat(entries.get(root + "/a.txt")).isEqualTo(ascii("hello\n"));
    assertThat(entries.get(root + "/sub/big.bin")).isEqualTo(big);

    Map<String, byte[]> fileTar = untar(post("get", "arg=" + root + "/sub/big.bin").body());
    assertThat(fileTar.keySet()).containsExactly("big.bin");
    assertThat(fileTar.get("big.bin")).isEqualTo(big);

    String longName = "n".repeat(150) + ".txt";
    List<JsonNode> withLongName = add("wrap-with-directory=true", List.of(Part.file(longName, ascii("long\n"))));
    String wrapper = withLongName.get(withLongName.size() - 1).get("Hash").asText();
    assertThat(untar(post("get", "arg=" + wrapper).body())).containsKey(wrapper + "/" + longName);
  }

  /** Entry name → content (empty for folders), in order; reads ustar headers and pax 'path' records. */
  static Map<String, byte[]> untar(byte[] tar) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    String paxPath = null;
    int pos = 0;
    while (pos + 512 <= tar.length) {
      byte[] h = Arrays.copyOfRange(tar, pos, pos + 512);
      if (Arrays.equals(h, new byte[512])) {
        assertThat(Arrays.copyOfRange(tar, pos, tar.length)).as("the end: two zero blocks").hasSize(1024).containsOnly(0);
        return out;
      }
      long sum = 0;
      for (int i = 0; i < 512; i++) {
        sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xFF;
      }
      assertThat(Long.parseLong(field(h, 148, 8).trim(), 8)).as("header checksum").isEqualTo(sum);
      assertThat(field(h, 257, 6)).isEqualTo("ustar");
      String name = field(h, 0, 100);
      long size = Long.parseLong(field(h, 124, 12).trim(), 8);
      char type = (char) h[156];
      byte[] content = Arrays.copyOfRange(tar, pos + 512, pos + 512 + (int) size);
      pos += 512 + (int) ((size + 511) / 512 * 512);
      if (type == 'x') {
        String record = new String(content, StandardCharsets.UTF_8);
        paxPath = record.substring(record.indexOf("path=") + 5, record.length() - 1);
        assertThat(Integer.parseInt(record.substring(0, record.indexOf(' ')))).as("pax record length").isEqualTo(content.length);
        continue;
      }
      out.put(paxPath != null ? paxPath : name, content);
      paxPath = null;
    }
    throw new AssertionError("the tar has no end marker");
  }

  static String field(byte[] h, int off, int len) {
    int end = off;
    while (end < off + len && h[end] != 0) {
      end++;
    }
    return new String(h, off, end - off, StandardCharsets.UTF_8);
  }

  // -- blocks, pins, id, version ---------------------------------------------------------------

  @Test
  void blockPutGetStatAndPinsInKubosShapes() throws Exception {
    String type = "multipart/form-data; boundary=" + BOUNDARY;
    byte[] data = ascii("a raw block");
    HttpResponse<byte[]> put = post("block/put", "", type, multipart(List.of(Part.file("", data))));
    assertThat(put.statusCode()).as(text(put)).isEqualTo(200);
    String raw = json(put).get("Key").asText();
    assertThat(raw).startsWith("bafkrei"); // Kubo's default: CIDv1, raw, sha2-256
    assertThat(json(put).get("Size").asInt()).isEqualTo(data.length);

    HttpResponse<byte[]> v0 = post("block/put", "format=v0", type, multipart(List.of(Part.file("", new byte[] {0x0a, 0x02, 0x08, 0x01}))));
    assertThat(json(v0).get("Key").asText()).startsWith("Qm");
    HttpResponse<byte[]> pb = post("block/put", "cid-codec=dag-pb&mhtype=sha2-512&pin=true", type,
        multipart(List.of(Part.file("", new byte[] {0x0a, 0x02, 0x08, 0x01}))));
    String pbCid = json(pb).get("Key").asText();
    assertThat(pbCid).startsWith("bafy");

    assertThat(post("block/get", "arg=" + raw).body()).isEqualTo(data);
    JsonNode stat = json(post("block/stat", "arg=" + raw));
    assertThat(stat.get("Key").asText()).isEqualTo(raw);
    assertThat(stat.get("Size").asInt()).isEqualTo(data.length);
    assertThat(post("block/put", "cid-codec=nope", type, multipart(List.of(Part.file("", data)))).statusCode()).isEqualTo(400);
    byte[] tooBig = new byte[1024 * 1024 + 1];
    assertThat(post("block/put", "", type, multipart(List.of(Part.file("", tooBig)))).statusCode()).isEqualTo(400);

    // pin/add, pin/ls both ways, pin/rm
    assertThat(json(post("pin/add", "arg=" + raw)).get("Pins").get(0).asText()).isEqualTo(raw);
    String streamed = text(post("pin/ls", "stream=true&type=recursive"));
    List<String> cids = new ArrayList<>();
    for (String line : streamed.split("\n")) {
      JsonNode n = HomeConfig.JSON.readTree(line);
      assertThat(n.get("Type").asText()).isEqualTo("recursive");
      cids.add(n.get("Cid").asText());
    }
    assertThat(cids).contains(raw, pbCid);
    assertThat(pins()).containsKeys(raw, pbCid);
    assertThat(json(post("pin/rm", "arg=" + raw)).get("Pins").get(0).asText()).isEqualTo(raw);
    assertThat(pins()).doesNotContainKey(raw).containsKey(pbCid);
  }

  @Test
  void idVersionAndTheTokenFreeServersRules() throws Exception {
    JsonNode id = json(post("id", ""));
    assertThat(id.get("ID").asText()).isEqualTo(daemon.node().host().peerId().toString());
    assertThat(id.get("PublicKey").asText()).isNotEmpty();
    assertThat(id.get("AgentVersion").asText()).startsWith("canopy/");
    assertThat(id.get("Addresses")).isNotEmpty();
    assertThat(id.get("Protocols").toString()).contains("/ipfs/bitswap");

    JsonNode version = json(post("version", ""));
    assertThat(version.fieldNames()).toIterable().containsExactly("Version", "Commit", "Repo", "System", "Golang");

    // No token asked; but a browser's cross-origin POST is refused, and GET is not served.
    HttpResponse<byte[]> fromPage = http.send(HttpRequest.newBuilder(URI.create(rpc.url() + "/api/v0/id"))
        .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(fromPage.statusCode()).isEqualTo(403);
    HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(rpc.url() + "/api/v0/id")).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(post("nope", "").statusCode()).isEqualTo(404);
  }
}
