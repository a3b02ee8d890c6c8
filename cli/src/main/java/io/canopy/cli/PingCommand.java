package io.canopy.cli;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy ping MULTIADDR}: dials a peer (Canopy, js-libp2p, Kubo, any libp2p node with TCP,
 * Noise and Yamux) and pings it, printing what {@code ipfs ping} prints. It dials with a
 * throwaway identity, so it needs no home and does not disturb a running daemon.
 */
@Command(name = "ping", description = "Ping a libp2p peer by multiaddr and print round-trip times.")
final class PingCommand extends CanopyCommand implements java.util.concurrent.Callable<Integer> {
  @Parameters(paramLabel = "MULTIADDR", description = "The peer, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…")
  String address;

  @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Number of pings (default ${DEFAULT-VALUE}).", defaultValue = "10")
  int count;

  @Override
  public Integer call() {
    return run(() -> {
      if (count < 1) {
        throw new CommandException("--count must be at least 1, got " + count);
      }
      Multiaddr target = DaemonCommand.parse(List.of(address), "MULTIADDR").get(0);
      try (Host host = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).ioThreads(1).build())) {
        println("PING " + target.peerId().map(Object::toString).orElse(target.toString()) + ".");
        List<Duration> rtts;
        try {
          rtts = host.ping(target, count).get(30 + count, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new CommandException("ping " + target + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
          throw new CommandException("ping " + target + " timed out");
        }
        double total = 0;
        for (Duration rtt : rtts) {
          double ms = rtt.toNanos() / 1e6;
          total += ms;
          println(String.format(Locale.ROOT, "Pong received: time=%.2f ms", ms));
        }
        println(String.format(Locale.ROOT, "Average latency: %.2fms", total / rtts.size()));
      }
    });
  }
}
