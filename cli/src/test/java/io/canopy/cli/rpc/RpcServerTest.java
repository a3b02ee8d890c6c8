package io.canopy.cli.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server's own limits, on a real socket: requests over the concurrency limit, silent clients. */
class RpcServerTest {
  private static final String TOKEN = "t0ken";

  private static RpcServer server(RpcConfig config, List<String> log) throws Exception {
    return new RpcServer(new InetSocketAddress("127.0.0.1", 0), TOKEN, config, Throwable::getMessage, log::add);
  }

  private static int post(RpcServer server, String command) throws Exception {
    HttpURLConnection c = (HttpURLConnection) server.url().resolve("/api/v0/" + command).toURL().openConnection();
    c.setRequestMethod("POST");
    c.setRequestProperty("Authorization", "Bearer " + TOKEN);
    return c.getResponseCode();
  }

  @Test
  void requestsOverTheConcurrencyLimitGet503AtOnce() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (RpcServer server = server(RpcConfig.builder().maxConcurrentRequests(1).build(), new CopyOnWriteArrayList<>())) {
      server.route("/api/v0/slow", call -> {
        entered.countDown();
        release.await(20, TimeUnit.SECONDS);
        call.respondJson(java.util.Map.of("ok", true));
      });
      server.route("/api/v0/fast", call -> call.respondJson(java.util.Map.of("ok", true)));
      server.start();
      CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> {
        try {
          return post(server, "slow");
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

      assertThat(post(server, "fast")).isEqualTo(503);

      release.countDown();
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      // The slot is given back when the slow handler returns, which may be just after its client
      // has read the answer: the next request is accepted once it has.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int status;
      while ((status = post(server, "fast")) == 503 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(status).isEqualTo(200);
    }
  }

  @Test
  void aClientSilentMidBodyIsDisconnected() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    RpcConfig config = RpcConfig.builder().readIdleTimeout(Duration.ofMillis(300)).build();
    try (RpcServer server = server(config, log)) {
      server.route("/api/v0/upload", 1 << 20, call -> {
        call.body().readAllBytes();
        call.respondJson(java.util.Map.of("ok", true));
      });
      server.start();
      try (Socket s = new Socket("127.0.0.1", server.url().getPort())) {
        s.setSoTimeout(20_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/v0/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
            + "\r\nContent-Length: 100\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        assertThat(in.read()).as("connection closed without an answer").isEqualTo(-1);
      }
      assertThat(log).anyMatch(l -> l.contains("silent"));
      assertThat(post(server, "upload")).as("still serving").isNotEqualTo(503);
    }
  }

  @Test
  void anApiFileHoldingJsonNullIsRefusedAsNotAnApiFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path file = tmp.resolve("api");
    java.nio.file.Files.writeString(file, "null"); // was a NullPointerException (crash input of CliDecodersFuzzTest)
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ApiEndpoint.read(file)))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining(file + " does not name an API");
    java.nio.file.Files.writeString(file, "{\"url\": \"http://127.0.0.1:5001\", \"token\": \"t\"}");
    assertThat(ApiEndpoint.read(file)).hasValueSatisfying(e -> assertThat(e.url().getPort()).isEqualTo(5001));
  }
}
