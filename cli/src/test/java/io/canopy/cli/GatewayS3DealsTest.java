package io.canopy.cli;

import static io.canopy.cli.DealCommandTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.gateway.s3.data.DealKeeper;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.storage.DealState;
import io.canopy.storage.DealStatus;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The gateway's data path through a running daemon: an S3 PUT is acknowledged only once the
 * object is pinned on the gateway and held by W storage nodes (or, with none around, by the
 * gateway alone); its CID reads back through /ipfs/ and {@code canopy cat}; objects no key
 * references any more are let go — deals ended, pins removed — and nothing half-made stays.
 */
class GatewayS3DealsTest {
  private static final StorageConfig FAST = DealCommandTest.FAST_REPAIR;

  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  private Daemons.InProcess storageNode(String name, StorageConfig config, List<Multiaddr> bootstrap) throws Exception {
    Path home = tmp.resolve(name);
    cli(home).run("init").ok();
    Daemons.InProcess d = Daemons.inProcess(home, true, config, bootstrap);
    open.add(d);
    return d;
  }

  private Daemons.InProcess gateway(int replicas, int quorum, List<Multiaddr> bootstrap) throws Exception {
    Path home = tmp.resolve("gw");
    cli(home).run("init").ok();
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    DaemonNode.GatewayOptions faces = new DaemonNode.GatewayOptions(any, any, any, null, null, List.of(),
        new DealKeeper.Config(replicas, quorum, Duration.ofHours(1), 0, Duration.ofMinutes(10)));
    Daemons.InProcess g = Daemons.inProcessGateway(home, FAST, faces, bootstrap);
    open.add(g);
    return g;
  }

  private S3Client s3(Daemons.InProcess g) throws Exception {
    JsonNode key = HomeConfig.JSON.readTree(
        cli(g.node().home().dir()).run("gateway", "keys", "create", "--account", "alice").ok().out());
    S3Client client = S3Client.builder()
        .endpointOverride(g.node().gateway().orElseThrow().urls().get("s3"))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.path("accessKeyId").asText(), key.path("secretAccessKey").asText())))
        .build();
    open.add(client);
    return client;
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static String put(S3Client s3, String bucket, String key, byte[] data) {
    PutObjectResponse r = s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(data));
    return r.sdkHttpResponse().firstMatchingHeader("x-amz-meta-cid").orElseThrow();
  }

  private static List<DealStatus> dealsFor(Daemons.InProcess g, String cid) throws Exception {
    return g.node().storage().deals().list().stream().filter(d -> d.deal().deal().root().toString().equals(cid)).toList();
  }

  private List<String> recursivePins(Daemons.InProcess node) {
    return cli(node.node().home().dir()).run("pin", "ls", "--type", "recursive", "-q").ok().lines();
  }

  @Test
  void aPutIsAcknowledgedOnceAStorageNodeHoldsTheObject() throws Exception {
    Daemons.InProcess s0 = storageNode("s0", FAST, List.of());
    List<Multiaddr> seed = List.of(Multiaddr.parse(s0.addr()));
    Daemons.InProcess s1 = storageNode("s1", FAST, seed);
    Daemons.InProcess g = gateway(2, 1, seed);
    waitFor(Duration.ofSeconds(20), () -> g.node().dht().findProviders(StorageRole.SERVICE_KEY, 8).join().size() >= 2);
    S3Client s3 = s3(g);
    s3.createBucket(b -> b.bucket("photos"));

    byte[] data = random(700_000, 1);
    String cid = put(s3, "photos", "cat.jpg", data);

    // Acknowledged: the gateway pins it, and at least W=1 storage node holds it already.
    List<DealStatus> deals = dealsFor(g, cid);
    assertThat(deals).singleElement().satisfies(d -> {
      assertThat(d.deal().purpose()).isEqualTo(DealKeeper.PURPOSE);
      assertThat(d.activeReplicas()).isGreaterThanOrEqualTo(1);
    });
    assertThat(recursivePins(g)).contains(cid);
    // The other replica follows in the background.
    waitFor(Duration.ofSeconds(30), () -> dealsFor(g, cid).get(0).deal().state() == DealState.ACTIVE);
    assertThat(recursivePins(s0)).contains(cid);
    assertThat(recursivePins(s1)).contains(cid);

    // Readable by key, by CID through /ipfs/, and with canopy cat.
    assertThat(s3.getObjectAsBytes(b -> b.bucket("photos").key("cat.jpg")).asByteArray()).isEqualTo(data);
    URI ipfs = g.node().gateway().orElseThrow().urls().get("ipfsGateway");
    HttpResponse<byte[]> viaIpfs = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(ipfs.resolve("/ipfs/" + cid)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(viaIpfs.statusCode()).isEqualTo(200);
    assertThat(viaIpfs.body()).isEqualTo(data);
    assertThat(cli(s1.node().home().dir()).run("cat", cid).ok().stdout()).isEqualTo(data);

    // Deleted: the deal ends, the gateway's pin goes, and the storage nodes let go.
    s3.deleteObject(b -> b.bucket("photos").key("cat.jpg"));
    waitFor(Duration.ofSeconds(10), () -> dealsFor(g, cid).get(0).deal().state() == DealState.ENDED);
    assertThat(recursivePins(g)).doesNotContain(cid);
    waitFor(Duration.ofSeconds(10), () -> !recursivePins(s0).contains(cid) && !recursivePins(s1).contains(cid));
  }

  @Test
  void withNoStorageNodeTheGatewayHoldsObjectsItselfUntilNoKeyNeedsThem() throws Exception {
    Daemons.InProcess g = gateway(3, 1, List.of());
    Path home = g.node().home().dir();
    S3Client s3 = s3(g);
    s3.createBucket(b -> b.bucket("docs"));

    byte[] first = random(300_000, 2);
    String firstCid = put(s3, "docs", "a", first);
    String sameCid = put(s3, "docs", "copy-of-a", first);
    assertThat(sameCid).isEqualTo(firstCid);
    assertThat(dealsFor(g, firstCid)).as("one deal for the same bytes under two keys").singleElement()
        .satisfies(d -> assertThat(d.deal().state()).isEqualTo(DealState.DEGRADED));
    assertThat(recursivePins(g)).contains(firstCid);

    // Garbage collection leaves what objects use.
    cli(home).run("repo", "gc").ok();
    assertThat(s3.getObjectAsBytes(b -> b.bucket("docs").key("a")).asByteArray()).isEqualTo(first);

    // Replaced under one key, still used by the other: kept. Deleted from both: let go.
    byte[] second = random(200_000, 3);
    String secondCid = put(s3, "docs", "a", second);
    assertThat(recursivePins(g)).contains(firstCid, secondCid);
    s3.deleteObject(b -> b.bucket("docs").key("copy-of-a"));
    waitFor(Duration.ofSeconds(10), () -> !recursivePins(g).contains(firstCid));
    assertThat(recursivePins(g)).contains(secondCid);
    assertThat(dealsFor(g, firstCid)).singleElement().satisfies(d -> assertThat(d.deal().state()).isEqualTo(DealState.ENDED));
    // The blockstore is keyed by multihash, so GC names blocks as raw CIDv1s.
    assertThat(cli(home).run("repo", "gc").ok().out())
        .contains(Cid.v1(Multicodec.RAW, Cid.parse(firstCid).multihash()).toString());
    assertThat(s3.getObjectAsBytes(b -> b.bucket("docs").key("a")).asByteArray()).isEqualTo(second);

    // Multipart: parts are pinned while the upload runs; once complete, only the object's DAG is.
    String uploadId = s3.createMultipartUpload(b -> b.bucket("docs").key("big")).uploadId();
    byte[] part1 = random(5 << 20, 4);
    byte[] part2 = random(1000, 5);
    String etag1 = s3.uploadPart(b -> b.bucket("docs").key("big").uploadId(uploadId).partNumber(1), RequestBody.fromBytes(part1)).eTag();
    String etag2 = s3.uploadPart(b -> b.bucket("docs").key("big").uploadId(uploadId).partNumber(2), RequestBody.fromBytes(part2)).eTag();
    assertThat(recursivePins(g)).hasSize(3);
    var done = s3.completeMultipartUpload(b -> b.bucket("docs").key("big").uploadId(uploadId).multipartUpload(m -> m.parts(
        CompletedPart.builder().partNumber(1).eTag(etag1).build(), CompletedPart.builder().partNumber(2).eTag(etag2).build())));
    String bigCid = done.sdkHttpResponse().firstMatchingHeader("x-amz-meta-cid").orElseThrow();
    waitFor(Duration.ofSeconds(10), () -> recursivePins(g).size() == 2);
    assertThat(recursivePins(g)).containsExactlyInAnyOrder(secondCid, bigCid);
    cli(home).run("repo", "gc").ok();
    byte[] big = s3.getObjectAsBytes(b -> b.bucket("docs").key("big")).asByteArray();
    assertThat(big).hasSize(part1.length + part2.length);
    assertThat(java.util.Arrays.copyOfRange(big, part1.length, big.length)).isEqualTo(part2);

    // An aborted upload's parts go too.
    String aborted = s3.createMultipartUpload(b -> b.bucket("docs").key("gone")).uploadId();
    s3.uploadPart(b -> b.bucket("docs").key("gone").uploadId(aborted).partNumber(1), RequestBody.fromBytes(random(1000, 6)));
    assertThat(recursivePins(g)).hasSize(3);
    s3.abortMultipartUpload(b -> b.bucket("docs").key("gone").uploadId(aborted));
    waitFor(Duration.ofSeconds(10), () -> recursivePins(g).size() == 2);
    assertThat(recursivePins(g)).containsExactlyInAnyOrder(secondCid, bigCid);
  }

  @Test
  void storageNodesWithoutRoomMakeThePutFailAndNothingStays() throws Exception {
    StorageConfig tiny = StorageConfig.builder()
        .capacityBytes(10_000)
        .repairInterval(Duration.ofMillis(300))
        .replicaGrace(Duration.ofSeconds(1))
        .requestTimeout(Duration.ofSeconds(2))
        .fetchTimeout(Duration.ofSeconds(20), 1 << 20)
        .build();
    Daemons.InProcess s0 = storageNode("full", tiny, List.of());
    Daemons.InProcess g = gateway(1, 1, List.of(Multiaddr.parse(s0.addr())));
    waitFor(Duration.ofSeconds(20), () -> !g.node().dht().findProviders(StorageRole.SERVICE_KEY, 8).join().isEmpty());
    S3Client s3 = s3(g);
    s3.createBucket(b -> b.bucket("media"));

    assertThatThrownBy(() -> put(s3, "media", "film.mp4", random(400_000, 7)))
        .isInstanceOfSatisfying(S3Exception.class, e -> {
          assertThat(e.statusCode()).isEqualTo(503);
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
          assertThat(e.awsErrorDetails().errorMessage()).contains("bytes free");
        });
    assertThat(s3.listObjectsV2(b -> b.bucket("media")).contents()).isEmpty();
    assertThat(recursivePins(g)).isEmpty();
    assertThat(g.node().storage().deals().list()).allSatisfy(d -> assertThat(d.deal().state()).isEqualTo(DealState.ENDED));
  }
}
