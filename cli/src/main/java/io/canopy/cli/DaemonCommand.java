package io.canopy.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.InvalidMultiaddrException;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy daemon}: runs a node with the home's identity until SIGTERM or SIGINT. Once it
 * listens it prints one JSON line, {@code {"peerId": …, "addrs": […/p2p/…]}}, so that scripts and
 * tests can find it; it then dials the bootstrap peers and serves identify and ping.
 */
@Command(name = "daemon", description = "Run a Canopy node until stopped (SIGTERM / Ctrl-C).")
final class DaemonCommand extends CanopyCommand implements java.util.concurrent.Callable<Integer> {
  static final String DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";

  @Option(names = "--listen", paramLabel = "MULTIADDR", description = "Address to listen on (repeatable; default " + DEFAULT_LISTEN + ").")
  List<String> listen = new ArrayList<>();

  @Option(names = "--bootstrap", paramLabel = "MULTIADDR", description = "Peer to connect to at start (repeatable; /p2p/ID checked).")
  List<String> bootstrap = new ArrayList<>();

  @Override
  public Integer call() {
    return run(() -> {
      Home home = home();
      Ed25519PrivateKey key;
      try {
        key = home.readConfig().privateKey();
      } catch (IllegalArgumentException e) {
        throw new CommandException(home.configFile() + ": " + e.getMessage(), e);
      }
      List<Multiaddr> listenAddrs = parse(listen.isEmpty() ? List.of(DEFAULT_LISTEN) : listen, "--listen");
      List<Multiaddr> bootstrapAddrs = parse(bootstrap, "--bootstrap");
      Host host = new Host(HostConfig.builder(key).listen(listenAddrs).agentVersion(VersionCommand.agentVersion()).build());
      CountDownLatch stopped = new CountDownLatch(1);
      Thread shutdown = new Thread(() -> {
        host.close();
        stopped.countDown();
      }, "canopy-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdown);
      try {
        host.start();
      } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
        host.close();
        throw new CommandException("cannot listen on " + listenAddrs + ": " + e.getMessage(), e);
      }
      Map<String, Object> ready = new LinkedHashMap<>();
      ready.put("peerId", host.peerId().toString());
      ready.put("addrs", host.listenAddrs().stream().map(a -> a.withPeerId(host.peerId()).toString()).toList());
      println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(ready));
      out().flush();
      for (Multiaddr peer : bootstrapAddrs) {
        host.connect(peer).whenComplete((c, e) -> {
          if (e != null) {
            env().stderr().println("bootstrap " + peer + " failed: " + ErrorReport.oneLine(String.valueOf(e.getMessage())));
          }
        });
      }
      stopped.await(); // released by the shutdown hook once the host is closed
    });
  }

  static List<Multiaddr> parse(List<String> texts, String option) {
    List<Multiaddr> out = new ArrayList<>();
    for (String t : texts) {
      try {
        out.add(Multiaddr.parse(t));
      } catch (InvalidMultiaddrException e) {
        throw new CommandException(option + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
