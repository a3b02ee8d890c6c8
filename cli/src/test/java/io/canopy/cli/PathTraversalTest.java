package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.cli.rpc.RpcConfig;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.content.block.Block;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path traversal from content a peer supplies: a DAG can name its entries anything ({@code ..},
 * {@code a/b}) and can hold two entries with one name (a symlink to anywhere, then a file written
 * through it). Neither {@code canopy get} nor the Kubo RPC {@code get}, {@code cat} and {@code add}
 * may read or write outside where they were asked to: the test's temporary root is listed before
 * and after, and a victim file outside is checked byte for byte.
 */
@Timeout(180)
class PathTraversalTest {
  @TempDir Path tmp;
  /** Every block the test built, children before parents: what is put into the repo. */
  private final List<Block> built = new ArrayList<>();

  /** A UnixFS node's block: DAG-PB, CIDv1, sha2-256. */
  private Block node(UnixFsData data, List<PbLink> links) {
    Block b = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256,
        DagPb.encode(PbNode.of(data.encode(), new ArrayList<>(links))));
    built.add(b);
    return b;
  }

  private Block file(String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return node(UnixFsData.file(bytes, bytes.length, List.of()), List.of());
  }

  private Block symlink(String target) {
    return node(new UnixFsData(UnixFsType.SYMLINK, target.getBytes(StandardCharsets.UTF_8), null, List.of(), null, null,
        null, null), List.of());
  }

  private Block dir(Object... namesAndBlocks) {
    List<PbLink> links = new ArrayList<>();
    for (int i = 0; i < namesAndBlocks.length; i += 2) {
      Block b = (Block) namesAndBlocks[i + 1];
      links.add(PbLink.of(b.cid(), (String) namesAndBlocks[i], b.data().length));
    }
    return node(UnixFsData.directory(), links);
  }

  /** Every path under the temporary root outside the given folders (which the commands may write). */
  private Set<String> filesOutside(Path... allowed) throws IOException {
    try (Stream<Path> all = Files.walk(tmp)) {
      return all.filter(p -> Stream.of(allowed).noneMatch(p::startsWith)).map(p -> tmp.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void canopyGetNeverWritesThroughASymlinkOrAnUnsafeName() throws Exception {
    Path home = tmp.resolve("home");
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path victim = Files.writeString(outside.resolve("victim.txt"), "untouched");
    CliRun cli = new CliRun(tmp.resolve("user"), work).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();

    // "x" a symlink to the victim, then "x" a file: writing the second would go through the first.
    Block overwrite = dir("x", symlink(victim.toString()), "x", file("pwned"));
    // "d" a symlink to the outside folder, then "d" a folder: its file would be planted there.
    Block plant = dir("d", symlink(outside.toString()), "d", dir("planted.txt", file("planted")));
    Block dotDot = dir("..", file("up"));
    Block slashed = dir("a/../../escaped.txt", file("escaped"));
    List<String> put = new ArrayList<>(List.of("block", "put", "--cid-codec", "dag-pb"));
    for (Block b : built) {
      Path f = work.resolve("block" + put.size());
      Files.write(f, b.data());
      put.add(f.toString());
    }
    cli.run(put.toArray(String[]::new)).ok();
    Set<String> before = filesOutside(home, work);

    cli.run("get", overwrite.cid().toString(), "-o", "out1").failsNaming("two entries named 'x'");
    cli.run("get", plant.cid().toString(), "-o", "out2").failsNaming("two entries named 'd'");
    cli.run("get", dotDot.cid().toString(), "-o", "out3").failsNaming("unsafe entry name '..'");
    cli.run("get", slashed.cid().toString(), "-o", "out4").failsNaming("unsafe entry name");
    // Paths given on the command line walk links of the DAG only, never the disk.
    cli.run("get", overwrite.cid() + "/../../etc/passwd", "-o", "out5").failsNaming("..");

    assertThat(Files.readString(victim)).isEqualTo("untouched");
    assertThat(filesOutside(home, work)).as("files outside the home and the output folder").isEqualTo(before);
    assertThat(outside.resolve("planted.txt")).doesNotExist();
    System.out.printf("canopy get: %d hostile DAGs refused, %d paths outside home and work before and after%n",
        4, before.size());
  }

  @Test
  void kuboRpcGetCatAndAddStayInsideTheirTree() throws Exception {
    Path home = tmp.resolve("home");
    new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString()).run("init").ok();
    try (Daemons.InProcess daemon = Daemons.inProcess(home);
         RpcServer rpc = RpcServer.withoutToken(new InetSocketAddress("127.0.0.1", 0), RpcConfig.defaults(),
             ErrorReport::describe, new CopyOnWriteArrayList<String>()::add)) {
      KuboRpcRoutes.register(rpc, daemon.node().node(), daemon.node().host());
      rpc.start();
      HttpClient http = HttpClient.newHttpClient();
      Block good = dir("a.txt", file("a"));
      Block dotDot = dir("..", file("up"), "fine.txt", file("fine"));
      Block deep = dir("sub", dir("../../../escaped.txt", file("escaped")));
      Block twice = dir("x", symlink("/etc/passwd"), "x", file("through the link"));
      for (Block each : built) {
        HttpResponse<String> put = post(http, rpc, "block/put", "cid-codec=dag-pb",
            "multipart/form-data; boundary=" + KuboRpcRoutesTest.BOUNDARY,
            KuboRpcRoutesTest.multipart(List.of(KuboRpcRoutesTest.Part.file("", each.data()))));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      }
      Set<String> before = filesOutside(home);

      HttpResponse<String> ok = post(http, rpc, "get", "arg=" + good.cid(), null, null);
      assertThat(ok.statusCode()).isEqualTo(200);
      for (Block hostile : List.of(dotDot, deep, twice)) {
        HttpResponse<String> r = post(http, rpc, "get", "arg=" + hostile.cid(), null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).doesNotContain("x-tar");
        assertThat(r.body()).containsAnyOf("unsafe entry name", "two entries named");
      }
      for (String arg : List.of(good.cid() + "/../../etc/passwd", good.cid() + "/%2e%2e/%2e%2e/etc/passwd",
          "/ipfs/" + good.cid() + "/..", "../../etc/passwd", "/etc/passwd")) {
        HttpResponse<String> cat = post(http, rpc, "cat", "arg=" + java.net.URLEncoder.encode(arg, StandardCharsets.UTF_8),
            null, null);
        assertThat(cat.statusCode()).as(arg + ": " + cat.body()).isNotEqualTo(200);
        assertThat(cat.body()).as(arg).doesNotContain("root:");
      }
      HttpResponse<String> add = post(http, rpc, "add", "", "multipart/form-data; boundary=" + KuboRpcRoutesTest.BOUNDARY,
          KuboRpcRoutesTest.multipart(List.of(KuboRpcRoutesTest.Part.file("a/../../escaped.txt",
              "x".getBytes(StandardCharsets.UTF_8)))));
      assertThat(add.statusCode()).as(add.body()).isEqualTo(400);
      assertThat(filesOutside(home)).as("files outside the home").isEqualTo(before);
    }
  }

  private static HttpResponse<String> post(HttpClient http, RpcServer rpc, String command, String query, String type,
      byte[] body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(rpc.url() + "/api/v0/" + command
        + (query.isEmpty() ? "" : "?" + query)))
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      r.header("Content-Type", type);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
