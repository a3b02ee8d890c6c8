package io.canopy.p2p.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One request, one reply, over real hosts on 127.0.0.1: sizes bounded both ways, refusals and silence end the call. */
class UnaryRpcTest {
  private static final String ECHO = "/test/echo/1.0.0";
  private static final String SILENT = "/test/silent/1.0.0";
  private static final int MAX_REQUEST = 1024;
  /** Far longer than any answer takes: a call that ends sooner did not wait for its deadline. */
  private static final Duration LONG = Duration.ofSeconds(30);

  private final List<Host> hosts = new ArrayList<>();
  private Host server;
  private Host client;

  private Host host() throws Exception {
    Host h = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    hosts.add(h);
    return h;
  }

  @BeforeEach
  void start() throws Exception {
    server = host();
    client = host();
    server.registerProtocol(ECHO, UnaryRpc.serve(MAX_REQUEST, LONG, (connection, request) ->
        CompletableFuture.completedFuture(("echo " + new String(request, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8))));
    server.registerProtocol(SILENT, UnaryRpc.serve(MAX_REQUEST, LONG, (connection, request) -> new CompletableFuture<>()));
    client.peerStore().addAddrs(server.peerId(), server.listenAddrs());
  }

  @AfterEach
  void stop() {
    hosts.forEach(Host::close);
  }

  private CompletableFuture<byte[]> call(String protocol, byte[] request, int maxReply, Duration timeout) {
    return UnaryRpc.call(client, server.peerId(), protocol, request, maxReply, timeout);
  }

  @Test
  void aRequestGetsItsReply() {
    byte[] reply = call(ECHO, "hello".getBytes(StandardCharsets.UTF_8), 64, LONG).join();
    assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("echo hello");
  }

  @Test
  void anOversizedRequestEndsTheCallAtOnceAndTheServerKeepsServing() {
    // The server resets or half-closes the stream on a frame over its limit; the caller must not sit out its 30 s deadline.
    assertThatThrownBy(() -> call(ECHO, new byte[MAX_REQUEST + 1], 64, LONG).join())
        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(IOException.class).cause().isNotInstanceOf(TimeoutException.class);
    assertThat(new String(call(ECHO, "again".getBytes(StandardCharsets.UTF_8), 64, LONG).join(), StandardCharsets.UTF_8))
        .isEqualTo("echo again");
  }

  @Test
  void aReplyOverTheCallersLimitFailsTheCall() {
    assertThatThrownBy(() -> call(ECHO, "a longer request".getBytes(StandardCharsets.UTF_8), 8, LONG).join())
        .isInstanceOf(CompletionException.class).cause().isNotInstanceOf(TimeoutException.class);
  }

  @Test
  void aSilentServerMeetsTheDeadline() {
    assertThatThrownBy(() -> call(SILENT, "anyone?".getBytes(StandardCharsets.UTF_8), 64, Duration.ofMillis(300)).join())
        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(TimeoutException.class);
  }
}
