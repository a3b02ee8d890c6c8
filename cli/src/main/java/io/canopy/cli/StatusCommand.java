package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.cli.rpc.RpcClient.Query;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy status}: what the running daemon is doing, in a few lines — its roles, peers,
 * the room it offers and uses, the deals it holds and owns, the proofs of the last epoch it was
 * challenged in and what it earned in the last settled epoch. {@code --json} prints the whole
 * status document (the dashboard's {@code /status.json}).
 */
@Command(name = "status", description = "Show what the running daemon is doing: roles, peers, capacity, deals, proofs, earnings.")
final class StatusCommand extends CanopyCommand implements java.util.concurrent.Callable<Integer> {

  @Option(names = "--json", description = "Print the daemon's whole status document (one line of JSON).")
  boolean json;

  @Override
  public Integer call() {
    return run(() -> {
      try (HttpNodeApi node = daemon()) {
        JsonNode status = node.call("status", new Query());
        if (json) {
          println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(status));
          return;
        }
        summary(status).forEach(this::println);
      }
    });
  }

  /** The human summary of a status document, one line each. */
  static List<String> summary(JsonNode s) {
    List<String> lines = new ArrayList<>();
    List<String> roles = new ArrayList<>();
    s.path("roles").forEach(r -> roles.add(r.asText()));
    lines.add("node      " + s.path("peerId").asText() + " (" + s.path("shortId").asText() + ")");
    lines.add("roles     " + (roles.isEmpty() ? "none (owns deals, serves its blocks)" : String.join(", ", roles)));
    JsonNode network = s.path("network");
    lines.add("network   " + network.path("id").asText() + ", epoch " + network.path("currentEpoch").asLong() + " ("
        + humanMillis(network.path("epochLengthMs").asLong()) + " each), " + network.path("validators").size() + " validators");
    JsonNode peers = s.path("peers");
    java.util.Map<String, Integer> byRole = new java.util.TreeMap<>();
    peers.path("list").forEach(p -> p.path("roles").forEach(r -> byRole.merge(r.asText(), 1, Integer::sum)));
    List<String> parts = new ArrayList<>();
    byRole.forEach((role, n) -> parts.add(n + " " + role));
    lines.add("peers     " + peers.path("count").asInt() + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")"));

    JsonNode storage = s.path("storage");
    String disk = storage.path("diskUsedBytes").isNumber() ? human(storage.path("diskUsedBytes").asLong()) + " on disk" : "disk use unknown";
    if (storage.path("serving").asBoolean()) {
      lines.add("capacity  " + human(storage.path("committedBytes").asLong()) + " of " + human(storage.path("capacityBytes").asLong())
          + " committed, " + disk);
    } else {
      lines.add("capacity  not offered (no storage role), " + disk);
    }
    JsonNode held = storage.path("held");
    JsonNode owned = storage.path("owned");
    List<String> states = new ArrayList<>();
    owned.path("byState").fields().forEachRemaining(e -> states.add(e.getValue().asLong() + " " + e.getKey()));
    lines.add("deals     held " + held.path("count").asLong() + " (" + human(held.path("bytes").asLong()) + ")"
        + (held.path("fetching").asLong() > 0 ? ", " + held.path("fetching").asLong() + " fetching" : "")
        + "; owned " + owned.path("count").asLong() + (states.isEmpty() ? "" : " (" + String.join(", ", states) + ")"));
    JsonNode proofs = storage.path("proofs");
    if (proofs.size() > 0) {
      JsonNode last = proofs.get(proofs.size() - 1);
      lines.add("proofs    epoch " + last.path("epoch").asLong() + ": " + last.path("answered").asLong() + " answered, "
          + last.path("refused").asLong() + " refused");
    } else if (storage.path("serving").asBoolean()) {
      lines.add("proofs    not challenged yet");
    }
    JsonNode compute = s.path("compute");
    if (compute.isObject()) {
      List<String> models = new ArrayList<>();
      compute.path("models").forEach(m -> models.add(m.path("name").asText() + " " + m.path("state").asText()));
      lines.add("compute   " + String.join(", ", models) + "; jobs served " + compute.path("jobs").path("served").asLong()
          + " (" + compute.path("jobs").path("tokens").asLong() + " tokens), refused " + compute.path("jobs").path("refused").asLong());
    }
    JsonNode settlement = s.path("settlement");
    JsonNode earnings = s.path("earnings").path("perEpoch");
    if ("none".equals(settlement.path("source").asText())) {
      lines.add("earnings  no validator set configured (--validator-set): nothing is settled");
    } else if (earnings.size() == 0) {
      lines.add("earnings  no settled epoch yet");
    } else {
      JsonNode last = earnings.get(earnings.size() - 1);
      JsonNode record = settlement.path("records").get(settlement.path("records").size() - 1);
      String fees = last.path("validatorFees").asLong() > 0 ? " + " + last.path("validatorFees").asLong() + " validator fees" : "";
      lines.add("earnings  epoch " + last.path("epoch").asLong() + ": " + last.path("amount").asLong() + " micro-credits" + fees
          + " (last " + earnings.size() + " epochs: " + s.path("earnings").path("total").asLong() + "); record "
          + record.path("hash").asText().substring(0, Math.min(16, record.path("hash").asText().length())));
    }
    return lines;
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }

  private static String humanMillis(long ms) {
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + " h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + " min";
    }
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }
}
