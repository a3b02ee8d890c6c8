package io.canopy.validator.poa;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.poa.HeldDeal;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessageException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The validator's side of a held-deals report (spec/proofs.md §5.6): asks a storage node, page by
 * page over {@code /canopy/poa/1.0.0}, which deals it holds, and keeps those it can challenge and
 * pay for. A deal is dropped, with the reason, when the owner's signature does not verify over it
 * (the owner never agreed to pay), when it has ended by {@code clock}, or when its id repeats one
 * already reported or is out of order. The deals the node does not report are not challenged.
 */
public final class DealReports {
  /** Most deals (kept or dropped) one node may report before the report is given up. */
  public static final int DEFAULT_MAX_DEALS = 100_000;
  /** How long one page may take to arrive. */
  public static final Duration DEFAULT_PAGE_TIMEOUT = Duration.ofSeconds(30);
  private static final System.Logger LOG = System.getLogger(DealReports.class.getName());

  /** What one node reported: the deals kept, sorted by id, the reasons for each dropped one, and the pages asked. */
  public record Report(PeerId node, List<HeldDeal> deals, List<String> rejected, int pages) {
    public Report {
      Objects.requireNonNull(node, "node");
      deals = List.copyOf(deals);
      rejected = List.copyOf(rejected);
    }
  }

  /** The report could not be had: the node refused, answered what is not a page, or broke the paging rules. */
  public static final class ReportException extends RuntimeException {
    public ReportException(String message) {
      super(message);
    }

    public ReportException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private DealReports() {}

  /**
   * The deals {@code node} holds and validators may challenge and pay for; those dropped are
   * logged with their reasons. Fails with {@link ReportException} (wrapped by the future) when the
   * node refuses (e.g. this host is not in its validator set), or with the stream's error.
   */
  public static CompletableFuture<List<HeldDeal>> fetch(Host host, PeerId node, Clock clock) {
    return report(host, node, clock, DEFAULT_MAX_DEALS, DEFAULT_PAGE_TIMEOUT).thenApply(r -> {
      for (String why : r.rejected()) {
        LOG.log(System.Logger.Level.WARNING, "{0} reported a deal that is dropped: {1}", node, why);
      }
      return r.deals();
    });
  }

  /** The whole report of {@code node}: at most {@code maxDeals} deals over all pages, each page within {@code pageTimeout}. */
  public static CompletableFuture<Report> report(Host host, PeerId node, Clock clock, int maxDeals, Duration pageTimeout) {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(clock, "clock");
    if (maxDeals < 1) {
      throw new IllegalArgumentException("maxDeals must be positive: " + maxDeals);
    }
    Paging paging = new Paging(node, clock, maxDeals);
    return page(host, paging, pageTimeout);
  }

  private static CompletableFuture<Report> page(Host host, Paging paging, Duration pageTimeout) {
    byte[] request = PoaCodec.encode(new PoaMessage.DealsRequest(paging.cursor));
    return UnaryRpc.call(host, paging.node, PoaMessage.PROTOCOL_ID, request, PoaCodec.MAX_DEALS_REPLY_SIZE, pageTimeout)
        .thenCompose(reply -> paging.accept(reply) ? page(host, paging, pageTimeout) : CompletableFuture.completedFuture(paging.report()));
  }

  /** The state of one report across its pages; pages come one after another, never concurrently. */
  private static final class Paging {
    private final PeerId node;
    private final Clock clock;
    private final int maxDeals;
    private final List<HeldDeal> kept = new ArrayList<>();
    private final List<String> rejected = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private String cursor = "";
    private int received;
    private int pages;

    Paging(PeerId node, Clock clock, int maxDeals) {
      this.node = node;
      this.clock = clock;
      this.maxDeals = maxDeals;
    }

    /** Takes one encoded reply; true if another page is to be asked for. */
    boolean accept(byte[] reply) {
      pages++;
      PoaMessage message;
      try {
        message = PoaCodec.decode(reply, 0);
      } catch (PoaMessageException e) {
        throw new ReportException(node + " sent a malformed deals page " + pages + ": " + e.getMessage(), e);
      }
      if (message instanceof PoaMessage.Refused r) {
        throw new ReportException(node + " refused the deals request: REFUSED " + r.code() + ": " + r.reason());
      }
      if (!(message instanceof PoaMessage.Deals page)) {
        throw new ReportException(node + " answered the deals request with " + message.getClass().getSimpleName());
      }
      received += page.deals().size();
      if (received > maxDeals) {
        throw new ReportException(node + " reported more than " + maxDeals + " deals");
      }
      String before = cursor;
      long now = clock.millis();
      for (HeldDeal d : page.deals()) {
        String id = d.dealId();
        if (!seen.add(id)) {
          rejected.add("deal " + id + ": reported twice");
          continue;
        }
        if (PoaMessage.DealsRequest.ID_ORDER.compare(id, cursor) <= 0) {
          rejected.add("deal " + id + ": out of order, not after " + (cursor.isEmpty() ? "the start" : cursor));
          continue;
        }
        cursor = id;
        if (!d.verify()) {
          rejected.add("deal " + id + ": the owner's signature does not verify");
        } else if (d.deal().isExpired(now)) {
          rejected.add("deal " + id + ": ended at " + Instant.ofEpochMilli(d.deal().endMillis()));
        } else {
          kept.add(d);
        }
      }
      if (page.more() && cursor.equals(before)) {
        throw new ReportException(node + " said more deals follow page " + pages + " but the page brought no new deal");
      }
      return page.more();
    }

    Report report() {
      return new Report(node, kept, rejected, pages);
    }
  }
}
