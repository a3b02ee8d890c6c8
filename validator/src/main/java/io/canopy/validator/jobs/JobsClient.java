package io.canopy.validator.jobs;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.validator.compute.JobRecord;
import io.canopy.validator.compute.VerificationException;
import io.canopy.validator.compute.VerificationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The validator's side of {@code /canopy/jobs/1.0.0} (spec/compute-verification.md §6.8): fetches
 * every job record a gateway holds for an epoch, page by page, and checks each one (§6.1). A record
 * that does not decode or fails its check is set aside with the reason; it never stops the others.
 * The epoch and duplicate rules of §6.1 are the {@link io.canopy.validator.compute.ComputeVerifier}'s.
 */
public final class JobsClient {
  /** Most records taken from one gateway for one epoch; a gateway sending more is cut off. */
  public static final int MAX_RECORDS = 200_000;
  public static final Duration DEFAULT_PAGE_TIMEOUT = Duration.ofMinutes(1);

  /** A record set aside: its position in the gateway's list, why, and the details. */
  public record Rejected(int index, VerificationFailure failure, String reason) {
    @Override
    public String toString() {
      return "record " + index + ": " + reason; // the reason starts with the failure
    }
  }

  /** An epoch's records from one gateway: those that passed §6.1, in the gateway's order, and those that did not. */
  public record Fetched(List<JobRecord> accepted, List<Rejected> rejected) {
    public Fetched {
      accepted = List.copyOf(accepted);
      rejected = List.copyOf(rejected);
    }
  }

  private JobsClient() {}

  /** {@link #fetch(Host, PeerId, long, Duration)} with {@link #DEFAULT_PAGE_TIMEOUT}. */
  public static CompletableFuture<Fetched> fetch(Host host, PeerId gateway, long epoch) {
    return fetch(host, gateway, epoch, DEFAULT_PAGE_TIMEOUT);
  }

  /**
   * Fetches the records of {@code epoch} from {@code gateway}, following its cursors to the end.
   * Fails if the gateway refuses, sends a message that does not decode, a page that makes no
   * progress, or more than {@link #MAX_RECORDS} records, or a page not answered within {@code
   * pageTimeout}.
   */
  public static CompletableFuture<Fetched> fetch(Host host, PeerId gateway, long epoch, Duration pageTimeout) {
    Objects.requireNonNull(pageTimeout, "pageTimeout");
    Progress progress = new Progress(gateway, epoch);
    return page(host, gateway, epoch, new byte[0], pageTimeout, progress)
        .thenApply(done -> new Fetched(progress.accepted, progress.rejected));
  }

  private static CompletableFuture<Void> page(Host host, PeerId gateway, long epoch, byte[] after, Duration pageTimeout,
                                              Progress progress) {
    byte[] request = JobsCodec.encode(new JobsMessage.Request(epoch, after));
    // Async: decoding and checking a page (hashes, two signatures per record) stays off the host's event loop.
    return UnaryRpc.call(host, gateway, JobsMessage.PROTOCOL_ID, request, JobsMessage.MAX_REPLY, pageTimeout)
        .thenComposeAsync(reply -> {
          JobsMessage.Page page = progress.take(reply);
          if (page.next().length == 0) {
            return CompletableFuture.completedFuture(null);
          }
          return page(host, gateway, epoch, page.next(), pageTimeout, progress);
        });
  }

  /** What has come in so far; pages arrive one after another, never concurrently. */
  private static final class Progress {
    private final PeerId gateway;
    private final long epoch;
    private final List<JobRecord> accepted = new ArrayList<>();
    private final List<Rejected> rejected = new ArrayList<>();
    private int received;

    Progress(PeerId gateway, long epoch) {
      this.gateway = gateway;
      this.epoch = epoch;
    }

    /** Checks the records of one reply and returns its page; throws for a reply that is not a usable page. */
    JobsMessage.Page take(byte[] reply) {
      JobsMessage message = JobsCodec.decode(reply);
      if (message instanceof JobsMessage.Refused r) {
        throw new IllegalStateException("gateway " + gateway + " refused the job records of epoch " + epoch + ": " + r.reason());
      }
      if (!(message instanceof JobsMessage.Page page)) {
        throw new IllegalStateException("gateway " + gateway + " answered with a request, not a page");
      }
      if (page.records().isEmpty() && page.next().length > 0) {
        throw new IllegalStateException("gateway " + gateway + " sent an empty page that is not the last");
      }
      if (received + page.records().size() > MAX_RECORDS) {
        throw new IllegalStateException("gateway " + gateway + " sent more than " + MAX_RECORDS + " job records for epoch " + epoch);
      }
      for (byte[] bytes : page.records()) {
        int index = received++;
        try {
          JobRecord record = JobRecord.decode(bytes);
          record.check();
          accepted.add(record);
        } catch (VerificationException e) {
          rejected.add(new Rejected(index, e.failure(), e.getMessage()));
        }
      }
      return page;
    }
  }
}
