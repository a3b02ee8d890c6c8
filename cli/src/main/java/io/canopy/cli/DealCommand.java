package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.cli.rpc.RpcClient.Query;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy deal create|ls|status}: storage deals this node owns. Deals live in the network, so
 * these go through the running daemon, which places the replicas and keeps them (its repair loop).
 */
@Command(name = "deal", description = "Store content on other nodes with a replica count, and see where it is.")
final class DealCommand extends CanopyCommand {

  @Option(names = "--json", description = "Print the daemon's JSON answer (one line) instead of text.")
  boolean json;

  @Command(name = "create", description = "Place CID's DAG on R storage nodes for a duration; prints the deal and where it went.")
  int create(
      @Parameters(paramLabel = "CID") String cid,
      @Option(names = "--replicas", paramLabel = "R", defaultValue = "" + DealRoutes.DEFAULT_REPLICAS,
          description = "Number of nodes that hold a copy (default ${DEFAULT-VALUE}).") int replicas,
      @Option(names = "--duration", paramLabel = "DURATION", defaultValue = DealRoutes.DEFAULT_DURATION,
          description = "How long the deal runs, e.g. 1h or 30d (default ${DEFAULT-VALUE}).") String duration,
      @Option(names = "--price", paramLabel = "N", defaultValue = "0",
          description = "Price per GiB-epoch offered (default ${DEFAULT-VALUE}).") long price) {
    return run(() -> {
      DaemonCommand.duration(duration, "--duration"); // fail here, before asking the daemon
      try (HttpNodeApi node = daemon()) {
        JsonNode deal = node.call("deal/create", Query.of(cid).option("replicas", replicas).option("duration", duration).option("price", price));
        print(deal);
        if ("FAILED".equals(deal.path("State").asText())) {
          throw new CommandException("deal " + deal.path("ID").asText() + " failed: " + deal.path("Reason").asText());
        }
      }
    });
  }

  @Command(name = "ls", description = "List the deals this node owns: ID, state, live replicas, root, end.")
  int ls() {
    return run(() -> {
      try (HttpNodeApi node = daemon()) {
        JsonNode deals = node.call("deal/ls", new Query());
        if (json) {
          printJson(deals);
          return;
        }
        for (JsonNode d : deals.path("Deals")) {
          println(d.path("ID").asText() + "  " + d.path("State").asText() + "  " + live(d) + "/" + d.path("Replicas").asInt()
              + "  " + d.path("Root").asText() + "  ends " + d.path("End").asText());
        }
      }
    });
  }

  @Command(name = "status", description = "Show a deal: its state and which nodes hold it, last seen when.")
  int status(@Parameters(paramLabel = "ID") String id) {
    return run(() -> {
      try (HttpNodeApi node = daemon()) {
        print(node.call("deal/status", Query.of(id)));
      }
    });
  }

  private void print(JsonNode deal) throws java.io.IOException {
    if (json) {
      printJson(deal);
      return;
    }
    println("deal " + deal.path("ID").asText() + " " + deal.path("State").asText() + ": " + live(deal) + " of "
        + deal.path("Replicas").asInt() + " replicas of " + deal.path("Root").asText() + " (" + deal.path("Size").asLong()
        + " bytes) until " + deal.path("End").asText());
    if (!deal.path("Reason").asText().isEmpty()) {
      println("  " + deal.path("Reason").asText());
    }
    for (JsonNode h : deal.path("Holders")) {
      println("  " + h.path("Peer").asText() + "  " + h.path("State").asText() + "  last seen " + h.path("LastSeen").asText()
          + (h.path("FailedChecks").asInt() > 0 ? "  failed checks " + h.path("FailedChecks").asInt() : ""));
    }
  }

  private void printJson(JsonNode node) throws java.io.IOException {
    println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
  }

  private static long live(JsonNode deal) {
    long n = 0;
    for (JsonNode h : deal.path("Holders")) {
      if ("ACTIVE".equals(h.path("State").asText())) {
        n++;
      }
    }
    return n;
  }
}
