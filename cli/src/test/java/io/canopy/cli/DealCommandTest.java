package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `canopy deal create|ls|status` against real daemons on 127.0.0.1: an owner and three nodes with
 * --roles storage, finding each other through the DHT. A deal with R=2 lands on two of them; when
 * one stops, `deal status` shows the owner's repair loop moving the replica to the third.
 */
class DealCommandTest {
  static final StorageConfig FAST_REPAIR = StorageConfig.builder()
      .capacityBytes(64L << 20)
      .repairInterval(Duration.ofMillis(300))
      .replicaGrace(Duration.ofSeconds(1))
      .requestTimeout(Duration.ofSeconds(2))
      .fetchTimeout(Duration.ofSeconds(20), 1 << 20)
      .build();

  @TempDir Path tmp;
  private final List<Daemons.InProcess> daemons = new ArrayList<>();

  @AfterEach
  void stop() {
    // Owner first (it was started last), so its repair loop does not chase the nodes as they stop.
    for (int i = daemons.size() - 1; i >= 0; i--) {
      daemons.get(i).close();
    }
  }

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  private Daemons.InProcess daemon(String name, boolean storage, List<Multiaddr> bootstrap) throws Exception {
    Path home = tmp.resolve(name);
    cli(home).run("init").ok();
    Daemons.InProcess d = Daemons.inProcess(home, storage, FAST_REPAIR, bootstrap);
    daemons.add(d);
    return d;
  }

  @Test
  void createListStatusAndRepair() throws Exception {
    Daemons.InProcess first = daemon("s0", true, List.of());
    List<Multiaddr> seed = List.of(Multiaddr.parse(first.addr()));
    daemon("s1", true, seed);
    daemon("s2", true, seed);
    Daemons.InProcess owner = daemon("owner", false, seed);
    Path ownerHome = tmp.resolve("owner");
    waitFor(Duration.ofSeconds(20), () -> owner.node().dht().findProviders(StorageRole.SERVICE_KEY, 8).join().size() >= 3);

    Path file = tmp.resolve("file.bin");
    byte[] data = new byte[700_000];
    new Random(5).nextBytes(data);
    Files.write(file, data);
    String cid = cli(ownerHome).run("add", "-q", file.toString()).ok().out().trim();

    JsonNode deal = HomeConfig.JSON.readTree(cli(ownerHome).run("deal", "--json", "create", cid, "--replicas", "2", "--duration", "1h").ok().out());
    assertThat(deal.path("State").asText()).isEqualTo("ACTIVE");
    assertThat(deal.path("Root").asText()).isEqualTo(cid);
    Set<String> holders = active(deal);
    assertThat(holders).hasSize(2);
    String id = deal.path("ID").asText();

    List<String> ls = cli(ownerHome).run("deal", "ls").ok().lines();
    assertThat(ls).singleElement().asString().startsWith(id + "  ACTIVE  2/2  " + cid);
    String status = cli(ownerHome).run("deal", "status", id).ok().out();
    assertThat(status).startsWith("deal " + id + " ACTIVE: 2 of 2 replicas of " + cid);
    for (String h : holders) {
      assertThat(status).contains(h + "  ACTIVE  last seen ");
    }

    Daemons.InProcess victim = daemons.stream()
        .filter(d -> holders.contains(d.node().host().peerId().toString())).findFirst().orElseThrow();
    victim.close();
    String victimId = victim.node().host().peerId().toString();
    waitFor(Duration.ofSeconds(30), () -> {
      JsonNode s = HomeConfig.JSON.readTree(cli(ownerHome).run("deal", "--json", "status", id).ok().out());
      return active(s).size() == 2 && !active(s).contains(victimId);
    });
    assertThat(cli(ownerHome).run("deal", "status", id).ok().out()).contains(victimId + "  LOST");
  }

  @Test
  void badInputAndNoDaemon() throws Exception {
    Path home = tmp.resolve("lonely");
    cli(home).run("init").ok();
    cli(home).run("deal", "ls").failsNaming("no daemon is running");
    Daemons.InProcess d = Daemons.inProcess(home, false, FAST_REPAIR, List.of());
    daemons.add(d);
    cli(home).run("deal", "create", "not-a-cid").failsNaming("not-a-cid");
    cli(home).run("deal", "create", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--replicas", "0").failsNaming("replicas");
    cli(home).run("deal", "create", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--duration", "soon").failsNaming("--duration");
    cli(home).run("deal", "status", "nope").failsNaming("no deal nope");
    // Content nobody has: the deal is recorded as failed, with the reason, and the command fails.
    cli(home).run("deal", "create", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--replicas", "1")
        .failsNaming("failed", "could not be fetched");
    assertThat(cli(home).run("deal", "ls").ok().out()).contains("  FAILED  0/1  bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
  }

  private static Set<String> active(JsonNode deal) {
    Set<String> out = new HashSet<>();
    for (JsonNode h : deal.path("Holders")) {
      if (h.path("State").asText().equals("ACTIVE")) {
        out.add(h.path("Peer").asText());
      }
    }
    return out;
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitFor(Duration timeout, Condition c) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout);
      }
      Thread.sleep(100);
    }
  }
}
