package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.cli.rpc.RpcConfig;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.gateway.http.SlowClients;
import io.canopy.p2p.HonestLatency;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Slowloris against the daemon's local HTTP listeners, on real sockets: the RPC API (the Kubo RPC
 * face is the same server without a token) and the dashboard. More clients trickle request heads
 * than either has workers (the JDK server they ran on before read heads on its workers and stalled
 * at about 36); honest requests go on being answered meanwhile, and every trickler is cut off
 * without an answer once its head deadline passes. Honest latency before and during is printed.
 */
class LocalApiSlowlorisTest {
  private static final int TRICKLERS = 80;
  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);
  private static final long TRICKLE_MILLIS = 200;
  private static final Duration GIVE_UP = Duration.ofSeconds(30);

  @Test
  void theRpcApiServesHonestCallsAndCutsOffTricklingHeads() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    RpcConfig config = RpcConfig.builder().requestHeadTimeout(HEAD_TIMEOUT).build();
    try (RpcServer server = RpcServer.withoutToken(new InetSocketAddress("127.0.0.1", 0), config, Throwable::getMessage, log::add)) {
      server.route("/api/v0/version", call -> call.respondJson(Map.of("Version", "test")));
      server.start();
      URI version = server.url().resolve("/api/v0/version");
      String figures = attack(server.url(), "POST /api/v0/version HTTP/1.1\r\nHost: 127.0.0.1\r\n", () -> {
        HttpURLConnection c = open(version);
        c.setRequestMethod("POST");
        assertThat(c.getResponseCode()).isEqualTo(200);
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("\"Version\"");
        return null;
      });
      System.out.println("RPC API, " + TRICKLERS + " trickled heads: honest " + figures);
    }
  }

  @Test
  void theDashboardServesHonestPollsAndCutsOffTricklingHeads() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    try (Dashboard dashboard = Dashboard.start(new InetSocketAddress("127.0.0.1", 0), () -> Map.of("peers", 3), () -> Map.of(),
        Clock.systemUTC(), log::add, HEAD_TIMEOUT)) {
      URI status = dashboard.url().resolve("/status.json");
      String figures = attack(dashboard.url(), "GET /status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n", () -> {
        HttpURLConnection c = open(status);
        assertThat(c.getResponseCode()).isEqualTo(200);
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"peers\":3}");
        return null;
      });
      System.out.println("dashboard, " + TRICKLERS + " trickled heads: honest " + figures);
    }
  }

  private static HttpURLConnection open(URI uri) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
    c.setConnectTimeout(10_000);
    c.setReadTimeout(10_000); // a stalled server fails the honest call instead of hanging the test
    return c;
  }

  /**
   * Measures {@code honest} alone, then while {@link #TRICKLERS} connections each send {@code head}
   * and then an endless header one byte per {@link #TRICKLE_MILLIS}; asserts the server closed
   * every one of them without answering. Returns the latency comparison.
   */
  private static String attack(URI server, String head, Callable<?> honest) throws Exception {
    for (int i = 0; i < 30; i++) {
      honest.call(); // warm up: the first calls load classes
    }
    long[] before = HonestLatency.measure(honest, 30, () -> true, 0);
    List<Socket> tricklers = new ArrayList<>();
    byte[][] streams = new byte[TRICKLERS][];
    int[] sent = new int[TRICKLERS];
    boolean[] cut = new boolean[TRICKLERS];
    for (int i = 0; i < TRICKLERS; i++) {
      tricklers.add(new Socket(server.getHost(), server.getPort()));
      streams[i] = (head + "X-Pad: " + "a".repeat(4096)).getBytes(StandardCharsets.US_ASCII);
    }
    long giveUp = System.nanoTime() + GIVE_UP.toNanos();
    Thread trickle = new Thread(() -> {
      int open = TRICKLERS;
      while (open > 0 && System.nanoTime() < giveUp) {
        for (int i = 0; i < TRICKLERS; i++) {
          if (cut[i]) {
            continue;
          }
          try {
            tricklers.get(i).getOutputStream().write(streams[i][sent[i]++ % streams[i].length]);
            tricklers.get(i).getOutputStream().flush();
          } catch (IOException closedByServer) {
            cut[i] = true;
            open--;
          }
        }
        try {
          Thread.sleep(TRICKLE_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "trickler");
    trickle.start();
    try {
      long[] during = HonestLatency.measure(honest, 30, () -> !trickle.isAlive(), giveUp);
      trickle.join(TimeUnit.SECONDS.toMillis(5));
      for (Socket s : tricklers) {
        assertThat(SlowClients.closedWithoutReply(s, HEAD_TIMEOUT.multipliedBy(5))).as("a trickling connection is closed without an answer").isTrue();
      }
      return HonestLatency.compare(before, during);
    } finally {
      trickle.interrupt();
      for (Socket s : tricklers) {
        s.close();
      }
    }
  }
}
