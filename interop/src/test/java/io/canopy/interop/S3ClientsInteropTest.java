package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.cli.Canopy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canopy's S3 gateway driven by the S3 clients people actually use: the AWS CLI, s3cmd, rclone
 * and the AWS SDK for JavaScript v3. One real {@code canopy daemon --roles gateway} process
 * serves every test; each test uses its own bucket, its own temp files and only the client's
 * command line, so what passes here is what a user of that client gets.
 *
 * <p>The clients are configured for path-style addressing on 127.0.0.1, with the machine's own
 * configuration shut out: HOME points at an empty directory, {@code AWS_*} and
 * {@code RCLONE_*} variables from the environment are dropped (an inherited
 * {@code AWS_CA_BUNDLE} alone makes rclone refuse to start), the AWS config files are empty temp
 * files. Every external process is given {@link #PROCESS_TIMEOUT}; a failure shows its stderr.
 */
@Tag("interop")
class S3ClientsInteropTest {
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration DAEMON_READY_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AWS = "/usr/bin/aws";
  private static final String S3CMD = "/usr/bin/s3cmd";
  private static final String RCLONE = "/usr/bin/rclone";
  private static final int MIB = 1024 * 1024;
  /** A key with what trips up URL encoding and signing: spaces, non-ASCII, '+', '%'. */
  private static final String ODD_NAME = "odd name ünï+%25 ✓ 100%.txt";

  @TempDir static Path shared;
  private static Process daemon;
  private static Path daemonHome;
  private static Path daemonStderr;
  private static URI s3;
  private static URI ipfsGateway;
  private static String accessKeyId;
  private static String secretAccessKey;
  private static Path clientHome;
  private static Path emptyFile;

  @TempDir Path tmp;

  @BeforeAll
  static void startGateway() throws Exception {
    daemonHome = shared.resolve("gateway-home");
    daemonStderr = shared.resolve("daemon-stderr.txt");
    clientHome = Files.createDirectories(shared.resolve("client-home"));
    emptyFile = Files.createFile(shared.resolve("empty"));

    canopy("init", "--home", daemonHome.toString()).ok("canopy init");
    daemon = new ProcessBuilder(canopyCommand("daemon", "--home", daemonHome.toString(), "--roles", "gateway",
            "--listen", "/ip4/127.0.0.1/tcp/0", "--s3", "127.0.0.1:0", "--ipfs-gateway", "127.0.0.1:0", "--rpc", "127.0.0.1:0", "--openai", "127.0.0.1:0"))
        .redirectError(daemonStderr.toFile())
        .start();
    BufferedReader stdout = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> readyLine = CompletableFuture.supplyAsync(() -> {
      try {
        return stdout.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    String line;
    try {
      line = readyLine.get(DAEMON_READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the daemon printed no ready line within " + DAEMON_READY_TIMEOUT + "; stderr:\n" + daemonStderr());
    }
    assertThat(line).as("ready line of the daemon; stderr:%n%s", daemonStderr()).isNotNull();
    JsonNode ready = JSON.readTree(line);
    s3 = URI.create(ready.path("http").path("s3").asText());
    ipfsGateway = URI.create(ready.path("http").path("ipfsGateway").asText());
    assertThat(s3.toString()).as("S3 URL in %s", line).startsWith("http://127.0.0.1:");
    assertThat(ipfsGateway.toString()).as("IPFS gateway URL in %s", line).startsWith("http://127.0.0.1:");

    JsonNode key = JSON.readTree(canopy("gateway", "keys", "create", "--account", "alice", "--home", daemonHome.toString())
        .ok("canopy gateway keys create").out());
    assertThat(key.path("account").asText()).isEqualTo("alice");
    accessKeyId = key.path("accessKeyId").asText();
    secretAccessKey = key.path("secretAccessKey").asText();
    assertThat(accessKeyId).isNotEmpty();
    assertThat(secretAccessKey).isNotEmpty();
  }

  @AfterAll
  static void stopGateway() throws InterruptedException {
    if (daemon != null) {
      daemon.destroy();
      if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
        daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // AWS CLI

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void awsCli() throws Exception {
    String bucket = "aws-cli-bucket";
    assertThat(aws("s3", "mb", "s3://" + bucket).ok("mb").out()).contains("make_bucket: " + bucket);

    // 20 MiB: above the CLI's 8 MiB multipart threshold, so it goes up in parts.
    byte[] big = randomBytes(20 * MIB, 1);
    Path bigFile = write(tmp.resolve("big.bin"), big);
    aws("s3", "cp", bigFile.toString(), "s3://" + bucket + "/dir/big.bin").ok("cp up");
    Path bigBack = tmp.resolve("big.back");
    aws("s3", "cp", "s3://" + bucket + "/dir/big.bin", bigBack.toString()).ok("cp down");
    assertSameBytes(Files.readAllBytes(bigBack), big, "dir/big.bin downloaded by the AWS CLI");

    JsonNode head = JSON.readTree(aws("s3api", "head-object", "--bucket", bucket, "--key", "dir/big.bin").ok("head-object").out());
    assertThat(head.path("ContentLength").asLong()).isEqualTo(big.length);
    assertThat(head.path("ETag").asText()).as("ETag of a multipart upload").matches("\"[0-9a-f]{32}-3\"");
    String cid = head.path("Metadata").path("cid").asText();
    assertThat(cid).as("Metadata.cid in %s", head).isNotEmpty();

    // What went in through S3 comes out by CID through the IPFS gateway.
    HttpResponse<byte[]> byCid = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(ipfsGateway.resolve("/ipfs/" + cid)).timeout(PROCESS_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(byCid.statusCode()).as("GET /ipfs/%s", cid).isEqualTo(200);
    assertSameBytes(byCid.body(), big, "/ipfs/" + cid + " on the IPFS gateway");

    // A copy within S3 of 8 MiB or more is the CLI's multipart copy: GetObjectTagging (to carry
    // the tags over), then UploadPartCopy of each range. The same bytes keep the same CID.
    aws("s3", "cp", "s3://" + bucket + "/dir/big.bin", "s3://" + bucket + "/dir/big copy.bin").ok("cp S3 to S3");
    aws("s3", "mv", "s3://" + bucket + "/dir/big copy.bin", "s3://" + bucket + "/dir/moved+.bin").ok("mv S3 to S3");
    JsonNode moved = JSON.readTree(aws("s3api", "head-object", "--bucket", bucket, "--key", "dir/moved+.bin").ok("head-object").out());
    assertThat(moved.path("ContentLength").asLong()).isEqualTo(big.length);
    assertThat(moved.path("Metadata").path("cid").asText()).as("CID of the copy").isEqualTo(cid);
    Path movedBack = tmp.resolve("moved.back");
    aws("s3", "cp", "s3://" + bucket + "/dir/moved+.bin", movedBack.toString()).ok("cp down the copy");
    assertSameBytes(Files.readAllBytes(movedBack), big, "the copy of dir/big.bin");
    assertThat(aws("s3api", "get-object", "--bucket", bucket, "--key", "dir/big copy.bin", tmp.resolve("gone").toString()).err())
        .as("the source of mv is gone").contains("NoSuchKey");
    aws("s3", "rm", "s3://" + bucket + "/dir/moved+.bin").ok("rm the copy");

    // A checksum the CLI is told to send is checked, as S3 checks it, and echoed.
    byte[] note = "checked\n".getBytes(StandardCharsets.UTF_8);
    Path noteFile = write(tmp.resolve("note.txt"), note);
    Result badSum = aws("s3api", "put-object", "--bucket", bucket, "--key", "dir/note.txt", "--body", noteFile.toString(),
        "--checksum-crc32", crc32Base64("other".getBytes(StandardCharsets.UTF_8)));
    assertThat(badSum.exit()).as("exit code of put-object with a wrong --checksum-crc32").isNotZero();
    assertThat(badSum.err()).contains("BadDigest");
    JsonNode goodSum = JSON.readTree(aws("s3api", "put-object", "--bucket", bucket, "--key", "dir/note.txt", "--body",
        noteFile.toString(), "--checksum-crc32", crc32Base64(note)).ok("put-object --checksum-crc32").out());
    assertThat(goodSum.path("ChecksumCRC32").asText()).isEqualTo(crc32Base64(note));
    aws("s3api", "delete-object", "--bucket", bucket, "--key", "dir/note.txt").ok("delete-object");

    // sync of a small folder up, then a second sync that finds nothing to do, then down.
    Path site = tmp.resolve("site");
    Map<String, byte[]> siteFiles = Map.of(
        "index.html", "<h1>canopy</h1>\n".getBytes(StandardCharsets.UTF_8),
        "css/site.css", "h1 { color: green }\n".getBytes(StandardCharsets.UTF_8),
        "img/a logo.bin", randomBytes(70_000, 2));
    writeTree(site, siteFiles);
    String firstSync = aws("s3", "sync", site.toString(), "s3://" + bucket + "/site/").ok("sync up").out();
    assertThat(firstSync.lines().filter(l -> l.startsWith("upload:"))).hasSize(3);
    assertThat(aws("s3", "sync", site.toString(), "s3://" + bucket + "/site/").ok("second sync up").out())
        .as("a second sync uploads nothing").doesNotContain("upload:");
    Path siteBack = tmp.resolve("site-back");
    aws("s3", "sync", "s3://" + bucket + "/site/", siteBack.toString()).ok("sync down");
    assertThat(readTree(siteBack)).as("the folder synced back down").isEqualTo(hexValues(siteFiles));

    // ls: the prefixes at the top, the objects under one prefix.
    List<String> top = aws("s3", "ls", "s3://" + bucket + "/").ok("ls top").out().lines().map(String::trim).toList();
    assertThat(top).containsExactlyInAnyOrder("PRE dir/", "PRE site/");
    String underSite = aws("s3", "ls", "s3://" + bucket + "/site/").ok("ls site/").out();
    assertThat(underSite.lines().map(String::trim)).contains("PRE css/", "PRE img/").anyMatch(l -> l.endsWith(" 16 index.html"));
    List<String> recursive = aws("s3", "ls", "--recursive", "s3://" + bucket + "/site/img/").ok("ls --recursive").out().lines().toList();
    assertThat(recursive).singleElement().asString().endsWith(" 70000 site/img/a logo.bin");

    // A presigned GET works without any credentials; the same URL with its signature altered does not.
    String presigned = aws("s3", "presign", "s3://" + bucket + "/site/index.html", "--expires-in", "300").ok("presign").out().trim();
    assertThat(presigned).startsWith(s3.toString()).contains("X-Amz-Signature=");
    HttpResponse<byte[]> viaPresigned = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(presigned)).timeout(PROCESS_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(viaPresigned.statusCode()).as("GET of the presigned URL").isEqualTo(200);
    assertThat(viaPresigned.body()).isEqualTo(siteFiles.get("index.html"));
    String tampered = presigned.replaceFirst("X-Amz-Signature=[0-9a-f]", "X-Amz-Signature=" + (presigned.contains("X-Amz-Signature=0") ? "1" : "0"));
    HttpResponse<String> viaTampered = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(tampered)).timeout(PROCESS_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(viaTampered.statusCode()).as("GET of a presigned URL with a wrong signature").isEqualTo(403);
    assertThat(viaTampered.body()).contains("<Code>SignatureDoesNotMatch</Code>");

    // Errors come back as S3 errors the CLI names.
    Result missing = aws("s3api", "get-object", "--bucket", bucket, "--key", "no/such/key", tmp.resolve("missing").toString());
    assertThat(missing.exit()).as("exit code of get-object of a missing key").isNotZero();
    assertThat(missing.err()).contains("NoSuchKey");
    Result notEmpty = aws("s3", "rb", "s3://" + bucket);
    assertThat(notEmpty.exit()).as("exit code of rb of a bucket with objects").isNotZero();
    assertThat(notEmpty.err()).contains("BucketNotEmpty");

    // rm one object, then the rest, then the bucket.
    aws("s3", "rm", "s3://" + bucket + "/dir/big.bin").ok("rm");
    assertThat(keys(aws("s3api", "list-objects-v2", "--bucket", bucket).ok("list-objects-v2").out()))
        .containsExactlyInAnyOrder("site/index.html", "site/css/site.css", "site/img/a logo.bin");
    aws("s3", "rm", "--recursive", "s3://" + bucket + "/").ok("rm --recursive");
    assertThat(keys(aws("s3api", "list-objects-v2", "--bucket", bucket).ok("list-objects-v2 after rm").out())).isEmpty();
    aws("s3", "rb", "s3://" + bucket).ok("rb");
    JsonNode buckets = JSON.readTree(aws("s3api", "list-buckets").ok("list-buckets").out());
    assertThat(buckets.path("Buckets").findValuesAsText("Name")).doesNotContain(bucket);
    Result gone = aws("s3api", "head-bucket", "--bucket", bucket);
    assertThat(gone.exit()).as("exit code of head-bucket after rb").isNotZero();
    assertThat(gone.err()).contains("404");
  }

  private Result aws(String... args) {
    List<String> command = new ArrayList<>(List.of(AWS, "--endpoint-url", s3.toString(), "--no-cli-pager"));
    command.addAll(Arrays.asList(args));
    if (args[0].equals("s3") && (args[1].equals("cp") || args[1].equals("sync"))) {
      command.add("--no-progress");
    }
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ACCESS_KEY_ID", accessKeyId);
    env.put("AWS_SECRET_ACCESS_KEY", secretAccessKey);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CONFIG_FILE", emptyFile.toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", emptyFile.toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return run(command, env, tmp, null);
  }

  /** The keys of a {@code list-objects-v2} answer (which has no Contents when empty). */
  private static List<String> keys(String listObjectsJson) throws IOException {
    String json = listObjectsJson.isBlank() ? "{}" : listObjectsJson;
    return JSON.readTree(json).path("Contents").findValuesAsText("Key");
  }

  // ---------------------------------------------------------------------------------------------
  // s3cmd

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void s3cmd() throws Exception {
    Path cfg = tmp.resolve("s3cfg");
    String hostPort = s3.getHost() + ":" + s3.getPort();
    Files.writeString(cfg, String.join("\n",
        "[default]",
        "access_key = " + accessKeyId,
        "secret_key = " + secretAccessKey,
        "host_base = " + hostPort,
        "host_bucket = " + hostPort,
        "bucket_location = us-east-1",
        "use_https = False",
        "signature_v2 = False",
        ""));
    String bucket = "s3cmd-bucket";
    assertThat(s3cmd(cfg, "mb", "s3://" + bucket).ok("mb").out()).contains("Bucket 's3://" + bucket + "/' created");

    byte[] small = randomBytes(3_000_000, 3);
    Path smallFile = write(tmp.resolve("small.bin"), small);
    s3cmd(cfg, "put", smallFile.toString(), "s3://" + bucket + "/x/small.bin").ok("put");
    // 12 MiB in 5 MiB chunks: s3cmd's multipart upload.
    byte[] big = randomBytes(12 * MIB, 4);
    Path bigFile = write(tmp.resolve("big.bin"), big);
    s3cmd(cfg, "put", "--multipart-chunk-size-mb=5", bigFile.toString(), "s3://" + bucket + "/big.bin").ok("put multipart");
    // s3cmd's own listing shows the MD5 it keeps in its metadata; the ETag, seen through another client, shows the parts.
    JsonNode head = JSON.readTree(aws("s3api", "head-object", "--bucket", bucket, "--key", "big.bin").ok("head-object").out());
    assertThat(head.path("ETag").asText()).as("ETag of s3cmd's multipart upload").matches("\"[0-9a-f]{32}-3\"");

    List<String> top = s3cmd(cfg, "ls", "s3://" + bucket).ok("ls").out().lines().toList();
    assertThat(top).hasSize(2);
    assertThat(top).anyMatch(l -> l.matches("\\s*DIR\\s+s3://" + bucket + "/x/"));
    assertThat(top).anyMatch(l -> l.matches(".*\\s" + big.length + "\\s+s3://" + bucket + "/big.bin"));
    List<String> underX = s3cmd(cfg, "ls", "s3://" + bucket + "/x/").ok("ls x/").out().lines().toList();
    assertThat(underX).singleElement().asString().matches(".*\\s" + small.length + "\\s+s3://" + bucket + "/x/small.bin");

    Path smallBack = tmp.resolve("small.back");
    s3cmd(cfg, "get", "s3://" + bucket + "/x/small.bin", smallBack.toString()).ok("get");
    assertSameBytes(Files.readAllBytes(smallBack), small, "x/small.bin downloaded by s3cmd");
    Path bigBack = tmp.resolve("big.back");
    s3cmd(cfg, "get", "s3://" + bucket + "/big.bin", bigBack.toString()).ok("get multipart object");
    assertSameBytes(Files.readAllBytes(bigBack), big, "big.bin downloaded by s3cmd");

    String info = s3cmd(cfg, "info", "s3://" + bucket + "/x/small.bin").ok("info").out();
    assertThat(info).containsPattern("File size:\\s+" + small.length)
        .containsPattern("MD5 sum:\\s+" + hex(digest("MD5", small)))
        .containsPattern("x-amz-meta-cid:\\s+\\S+");

    // sync of a folder, a second sync with nothing to do, and a copy within S3.
    Path site = tmp.resolve("site");
    Map<String, byte[]> siteFiles = Map.of("a.txt", "a\n".getBytes(StandardCharsets.UTF_8),
        "sub/b c.txt", "b c\n".getBytes(StandardCharsets.UTF_8));
    writeTree(site, siteFiles);
    assertThat(s3cmd(cfg, "sync", site + "/", "s3://" + bucket + "/site/").ok("sync").out().lines()
        .filter(l -> l.startsWith("upload:"))).hasSize(2);
    assertThat(s3cmd(cfg, "sync", site + "/", "s3://" + bucket + "/site/").ok("second sync").out()).doesNotContain("upload:");
    s3cmd(cfg, "cp", "s3://" + bucket + "/site/sub/b c.txt", "s3://" + bucket + "/site/copied.txt").ok("cp within S3");
    Path copied = tmp.resolve("copied.txt");
    s3cmd(cfg, "get", "s3://" + bucket + "/site/copied.txt", copied.toString()).ok("get the copy");
    assertThat(Files.readAllBytes(copied)).isEqualTo(siteFiles.get("sub/b c.txt"));
    assertThat(s3cmd(cfg, "ls", "-r", "s3://" + bucket + "/site/").ok("ls -r site/").out().lines())
        .hasSize(3).anyMatch(l -> l.endsWith("s3://" + bucket + "/site/sub/b c.txt"));
    s3cmd(cfg, "del", "--recursive", "--force", "s3://" + bucket + "/site/").ok("del --recursive");

    Result missing = s3cmd(cfg, "get", "s3://" + bucket + "/nothing-here", tmp.resolve("nothing").toString());
    assertThat(missing.exit()).as("exit code of get of a missing key").isNotZero();
    assertThat(missing.err()).contains("does not exist");

    s3cmd(cfg, "del", "s3://" + bucket + "/x/small.bin").ok("del");
    s3cmd(cfg, "del", "s3://" + bucket + "/big.bin").ok("del multipart object");
    assertThat(s3cmd(cfg, "ls", "-r", "s3://" + bucket).ok("ls after del").out()).isBlank();
    assertThat(s3cmd(cfg, "rb", "s3://" + bucket).ok("rb").out()).contains("Bucket 's3://" + bucket + "/' removed");
    assertThat(s3cmd(cfg, "ls").ok("ls buckets").out()).doesNotContain("s3://" + bucket);
  }

  private Result s3cmd(Path cfg, String... args) {
    List<String> command = new ArrayList<>(List.of(S3CMD, "-c", cfg.toString(), "--no-progress"));
    command.addAll(Arrays.asList(args));
    return run(command, Map.of(), tmp, null);
  }

  // ---------------------------------------------------------------------------------------------
  // rclone

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void rclone() throws Exception {
    String bucket = "rclone-bucket";
    Path tree = tmp.resolve("tree");
    Map<String, byte[]> files = new TreeMap<>(Map.of(
        "top.txt", "top\n".getBytes(StandardCharsets.UTF_8),
        "nested/two.txt", "two\n".getBytes(StandardCharsets.UTF_8),
        "nested/deeper/three.bin", randomBytes(100_000, 5),
        "nested/" + ODD_NAME, "odd\n".getBytes(StandardCharsets.UTF_8),
        // above the 5 MiB cutoff set below: a multipart upload
        "nested/deeper/big.bin", randomBytes(11 * MIB + 7, 6)));
    writeTree(tree, files);

    rclone("mkdir", "canopy:" + bucket).ok("mkdir");
    rclone("copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", tree.toString(), "canopy:" + bucket + "/tree").ok("copy");

    JsonNode listing = JSON.readTree(rclone("lsjson", "-R", "--files-only", "canopy:" + bucket + "/tree").ok("lsjson").out());
    Map<String, Long> listed = new TreeMap<>();
    listing.forEach(e -> listed.put(e.path("Path").asText(), e.path("Size").asLong()));
    Map<String, Long> expected = new TreeMap<>();
    files.forEach((name, bytes) -> expected.put(name, (long) bytes.length));
    assertThat(listed).as("lsjson -R").isEqualTo(expected);
    JsonNode dirs = JSON.readTree(rclone("lsjson", "--dirs-only", "canopy:" + bucket + "/tree/nested").ok("lsjson dirs").out());
    assertThat(dirs.findValuesAsText("Path")).containsExactly("deeper");

    // rclone's own verification: sizes and MD5s (from the ETags, and for the multipart file from
    // the md5 rclone keeps in the object's metadata) of every file on both sides.
    Result check = rclone("check", tree.toString(), "canopy:" + bucket + "/tree");
    check.ok("check");
    assertThat(check.err()).contains("0 differences found").contains(files.size() + " matching files");
    // ... and with a download of every byte.
    rclone("check", "--download", tree.toString(), "canopy:" + bucket + "/tree").ok("check --download");

    assertThat(rclone("cat", "canopy:" + bucket + "/tree/nested/" + ODD_NAME).ok("cat odd name").out()).isEqualTo("odd\n");
    Path copiedBack = tmp.resolve("back");
    rclone("copy", "canopy:" + bucket + "/tree", copiedBack.toString()).ok("copy down");
    assertThat(readTree(copiedBack)).as("the tree copied back down").isEqualTo(hexValues(files));

    rclone("delete", "canopy:" + bucket + "/tree/nested/" + ODD_NAME).ok("delete one file");
    assertThat(JSON.readTree(rclone("lsjson", "-R", "--files-only", "canopy:" + bucket).ok("lsjson").out()).findValuesAsText("Path"))
        .hasSize(files.size() - 1).doesNotContain("tree/nested/" + ODD_NAME);
    rclone("delete", "canopy:" + bucket).ok("delete all");
    assertThat(JSON.readTree(rclone("lsjson", "-R", "canopy:" + bucket).ok("lsjson after delete").out())).isEmpty();
    rclone("rmdir", "canopy:" + bucket).ok("rmdir");
    assertThat(JSON.readTree(rclone("lsjson", "canopy:").ok("lsjson buckets").out()).findValuesAsText("Path")).doesNotContain(bucket);

    // purge: objects and bucket at once, after asking the bucket's versioning status.
    rclone("copy", tree.resolve("nested").toString(), "canopy:rclone-purge/n").ok("copy for purge");
    Result purge = rclone("purge", "canopy:rclone-purge").ok("purge");
    assertThat(purge.err()).as("purge's log").doesNotContain("ERROR");
    assertThat(JSON.readTree(rclone("lsjson", "canopy:").ok("lsjson buckets").out()).findValuesAsText("Path"))
        .doesNotContain("rclone-purge");
  }

  private Result rclone(String... args) {
    List<String> command = new ArrayList<>(List.of(RCLONE));
    command.addAll(Arrays.asList(args));
    Map<String, String> env = new HashMap<>();
    env.put("RCLONE_CONFIG", emptyFile.toString());
    env.put("RCLONE_CONFIG_CANOPY_TYPE", "s3");
    env.put("RCLONE_CONFIG_CANOPY_PROVIDER", "Other");
    env.put("RCLONE_CONFIG_CANOPY_ENDPOINT", s3.toString());
    env.put("RCLONE_CONFIG_CANOPY_REGION", "us-east-1");
    env.put("RCLONE_CONFIG_CANOPY_ACCESS_KEY_ID", accessKeyId);
    env.put("RCLONE_CONFIG_CANOPY_SECRET_ACCESS_KEY", secretAccessKey);
    env.put("RCLONE_CONFIG_CANOPY_FORCE_PATH_STYLE", "true");
    return run(command, env, tmp, null);
  }

  // ---------------------------------------------------------------------------------------------
  // AWS SDK for JavaScript v3

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void awsSdkForJavaScript() throws Exception {
    byte[] small = randomBytes(100_000, 7);
    byte[] large = randomBytes(12 * MIB, 8);
    ObjectNode input = JSON.createObjectNode()
        .put("endpoint", s3.toString())
        .put("accessKeyId", accessKeyId)
        .put("secretAccessKey", secretAccessKey)
        .put("bucket", "js-sdk-bucket")
        .put("small", write(tmp.resolve("small.bin"), small).toString())
        .put("large", write(tmp.resolve("large.bin"), large).toString());
    Path moduleDir = moduleDir("js/aws-sdk-s3.mjs", "@aws-sdk/lib-storage");
    Map<String, String> env = new HashMap<>();
    env.put("AWS_CONFIG_FILE", emptyFile.toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", emptyFile.toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    String node = System.getProperty("canopy.node", "node");
    JsonNode out = JSON.readTree(run(List.of(node, moduleDir.resolve("js/aws-sdk-s3.mjs").toString()), env, moduleDir,
        JSON.writeValueAsBytes(input)).ok("js/aws-sdk-s3.mjs").out());

    assertThat(out.path("createBucket").asInt()).isEqualTo(200);
    String md5 = "\"" + hex(digest("MD5", small)) + "\"";
    assertThat(out.path("putBuffer").path("etag").asText()).as("ETag of PutObject with a CRC32 header").isEqualTo(md5);
    assertThat(out.path("putBuffer").path("checksumCRC32").asText()).as("the CRC32 header, checked and echoed").isEqualTo(crc32Base64(small));
    assertThat(out.path("putStream").path("etag").asText()).as("ETag of PutObject with a CRC32 trailer").isEqualTo(md5);
    assertThat(out.path("streamSha256").asText()).as("object put with an aws-chunked body").isEqualTo(hex(digest("SHA-256", small)));

    JsonNode range = out.path("range");
    assertThat(range.path("httpStatusCode").asInt()).isEqualTo(206);
    assertThat(range.path("contentRange").asText()).isEqualTo("bytes 10-99/" + small.length);
    assertThat(range.path("contentLength").asLong()).isEqualTo(90);
    assertThat(range.path("hex").asText()).isEqualTo(hex(Arrays.copyOfRange(small, 10, 100)));

    JsonNode head = out.path("head");
    assertThat(head.path("contentLength").asLong()).isEqualTo(small.length);
    assertThat(head.path("contentType").asText()).isEqualTo("application/x-canopy-test");
    assertThat(head.path("etag").asText()).isEqualTo(md5);
    assertThat(head.path("metadata").path("cid").asText()).as("HeadObject metadata %s", head).isNotEmpty();

    assertThat(out.path("upload").path("etag").asText()).as("ETag of the lib-storage Upload").matches("\"[0-9a-f]{32}-3\"");
    assertThat(out.path("uploadSha256").asText()).as("the multipart upload read back").isEqualTo(hex(digest("SHA-256", large)));
    String cid = out.path("uploadCid").asText();
    HttpResponse<byte[]> byCid = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(ipfsGateway.resolve("/ipfs/" + cid)).timeout(PROCESS_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(byCid.statusCode()).as("GET /ipfs/%s", cid).isEqualTo(200);
    assertSameBytes(byCid.body(), large, "/ipfs/" + cid + " on the IPFS gateway");

    assertThat(out.path("listRoot").path("keys").isEmpty()).as("keys at the top with Delimiter=/: %s", out.path("listRoot")).isTrue();
    assertThat(texts(out.path("listRoot").path("commonPrefixes"))).containsExactly("big/", "docs/");
    assertThat(out.path("listRoot").path("keyCount").asInt()).isEqualTo(2);
    assertThat(texts(out.path("listDocs").path("keys"))).containsExactly("docs/buffer.bin", "docs/stream.bin");
    out.path("listDocs").path("sizes").forEach(size -> assertThat(size.asLong()).isEqualTo(small.length));
    assertThat(out.path("listDocs").path("commonPrefixes").isEmpty()).isTrue();

    assertThat(texts(out.path("deleteObjects").path("deleted"))).containsExactly("big/upload.bin", "docs/buffer.bin", "docs/stream.bin");
    assertThat(out.path("deleteObjects").path("errors").isEmpty()).as("DeleteObjects errors").isTrue();
    assertThat(out.path("listAfterDelete").isEmpty()).isTrue();

    assertThat(out.path("missingBucket").path("name").asText()).as("error of GetObject in a missing bucket").isEqualTo("NoSuchBucket");
    assertThat(out.path("missingBucket").path("httpStatusCode").asInt()).isEqualTo(404);
    assertThat(out.path("deleteBucket").asInt()).isEqualTo(204);
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  // ---------------------------------------------------------------------------------------------
  // processes

  record Result(List<String> command, int exit, String out, String err) {
    /** This result, after checking that the process exited with 0 (its output in the failure). */
    Result ok(String what) {
      assertThat(exit).as("exit code of %s: %s%nstdout:%n%s%nstderr:%n%s", what, String.join(" ", command), out, err).isZero();
      return this;
    }
  }

  /**
   * Runs {@code command} to its end (at most {@link #PROCESS_TIMEOUT}) in {@code dir}, with the
   * environment cleaned of the machine's S3 client settings plus {@code extraEnv}.
   */
  private static Result run(List<String> command, Map<String, String> extraEnv, Path dir, byte[] stdin) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("RCLONE_") || k.startsWith("S3CMD"));
    env.put("HOME", clientHome.toString());
    env.putAll(extraEnv);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + command, e);
    }
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin);
      }
    } catch (IOException e) {
      // the process died early; its exit code and stderr say why
    }
    try {
      if (!process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("timed out after " + PROCESS_TIMEOUT + ": " + String.join(" ", command)
            + "\nstderr:\n" + new String(err.getNow(new byte[0]), StandardCharsets.UTF_8));
      }
      return new Result(command, process.exitValue(),
          new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
          new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("cannot read the output of " + command, e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code canopy ARGS...}, run as a JVM on this test's class path. */
  private static List<String> canopyCommand(String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Canopy.class.getName()));
    command.addAll(Arrays.asList(args));
    return command;
  }

  private static Result canopy(String... args) {
    return run(canopyCommand(args), Map.of(), shared, null);
  }

  private static String daemonStderr() {
    try {
      return Files.exists(daemonStderr) ? Files.readString(daemonStderr) : "";
    } catch (IOException e) {
      return "(cannot read " + daemonStderr + ": " + e + ")";
    }
  }

  /** The interop module's directory (tests run from it, or from the repository root). */
  private static Path moduleDir(String script, String requiredModule) {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(dir.resolve(script)) && Files.exists(dir.resolve("interop").resolve(script))) {
      dir = dir.resolve("interop");
    }
    assertThat(dir.resolve(script)).as("the script").exists();
    assertThat(dir.resolve("node_modules").resolve(requiredModule))
        .as("npm package (run the build without -Dcanopy.skipNpm=true, or `npm ci` in interop/)").isDirectory();
    return dir;
  }

  // ---------------------------------------------------------------------------------------------
  // files and bytes

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  private static Path write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes);
  }

  private static void writeTree(Path root, Map<String, byte[]> files) throws IOException {
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      write(root.resolve(f.getKey()), f.getValue());
    }
  }

  /** Every regular file under {@code root}, by relative path ('/'-separated), as hex of its bytes. */
  private static Map<String, String> readTree(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString().replace('\\', '/'), hex(Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private static Map<String, String> hexValues(Map<String, byte[]> files) {
    Map<String, String> hex = new TreeMap<>();
    files.forEach((k, v) -> hex.put(k, hex(v)));
    return hex;
  }

  /** Byte equality, compared by SHA-256 so that a failure does not print megabytes. */
  private static void assertSameBytes(byte[] actual, byte[] expected, String what) {
    assertThat(actual.length).as("size of %s", what).isEqualTo(expected.length);
    assertThat(hex(digest("SHA-256", actual))).as("SHA-256 of %s", what).isEqualTo(hex(digest("SHA-256", expected)));
  }

  private static String crc32Base64(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static byte[] digest(String algorithm, byte[] bytes) {
    try {
      return MessageDigest.getInstance(algorithm).digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
