package io.canopy.validator.jobs;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protobuf.ProtoException;
import io.canopy.validator.compute.JobRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * The gateway's side of {@code /canopy/jobs/1.0.0} (spec/compute-verification.md §6.8): one
 * request in (at most {@link JobsMessage#MAX_REQUEST} bytes), one page of an epoch's job records
 * or a refusal out. Pages are read from the {@link JobSource} on {@code worker}, since that reads
 * the disk. Job inputs are the gateway's callers' data, so only the peers {@code validators}
 * accepts are served.
 *
 * <p>The cursor is opaque to validators; here it is the index of the page's next record in the
 * epoch's log order, as 8 bytes big-endian. The log only grows, so an index stays valid between
 * pages.
 */
public final class JobsService {
  public static final String PROTOCOL_ID = JobsMessage.PROTOCOL_ID;
  /** Gateways provide this key in the DHT so that validators can find them (as storage nodes do theirs). */
  public static final Multihash SERVICE_KEY = Multihash.compute(Multicodec.SHA2_256, PROTOCOL_ID.getBytes(StandardCharsets.UTF_8));
  /** The stream is reset if a page is not ready by then. */
  public static final Duration SERVE_TIMEOUT = Duration.ofMinutes(1);
  private static final int CURSOR_LENGTH = 8;
  /** A record's framing in a page: its tag (1 byte) and length (a varint of at most 5). */
  private static final int RECORD_FRAMING = 6;
  private static final System.Logger LOG = System.getLogger(JobsService.class.getName());

  private final JobSource source;
  private final Predicate<PeerId> validators;
  private final Executor worker;

  public JobsService(JobSource source, Predicate<PeerId> validators, Executor worker) {
    this.source = Objects.requireNonNull(source, "source");
    this.validators = Objects.requireNonNull(validators, "validators");
    this.worker = Objects.requireNonNull(worker, "worker");
  }

  /** The handler to register for {@link #PROTOCOL_ID}. */
  public StreamHandler handler() {
    return UnaryRpc.serve(JobsMessage.MAX_REQUEST, SERVE_TIMEOUT, (connection, request) -> CompletableFuture.supplyAsync(
        () -> JobsCodec.encode(answer(connection.remotePeer(), request)), worker));
  }

  /** The answer to {@code request} (an encoded message) from {@code peer}: a page, or a refusal saying why. */
  public JobsMessage answer(PeerId peer, byte[] request) {
    if (!validators.test(peer)) {
      return new JobsMessage.Refused("job records are served to validators only, and " + peer + " is not one");
    }
    JobsMessage.Request asked;
    int from;
    try {
      if (!(JobsCodec.decode(request) instanceof JobsMessage.Request r)) {
        return new JobsMessage.Refused("expected a request");
      }
      asked = r;
      from = index(asked.after());
    } catch (ProtoException e) {
      return new JobsMessage.Refused("malformed request: " + e.getMessage());
    }
    List<JobRecord> records;
    try {
      // One more than a page holds: whether it exists says if there is a next page.
      records = source.records(asked.epoch(), from, JobsMessage.MAX_PAGE_RECORDS + 1);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot read the job records of epoch " + asked.epoch(), e);
      return new JobsMessage.Refused("cannot read the job records of epoch " + asked.epoch() + ": " + e.getMessage());
    }
    List<byte[]> page = new ArrayList<>();
    long bytes = 0;
    for (JobRecord record : records.subList(0, Math.min(records.size(), JobsMessage.MAX_PAGE_RECORDS))) {
      byte[] encoded = record.encode();
      bytes += encoded.length + RECORD_FRAMING;
      if (!page.isEmpty() && bytes > JobsMessage.MAX_PAGE_BYTES) {
        break; // the first record always goes, however large: otherwise it could never be fetched
      }
      page.add(encoded);
    }
    byte[] next = page.size() < records.size() ? cursor(from + page.size()) : new byte[0];
    return new JobsMessage.Page(page, next);
  }

  private static byte[] cursor(long index) {
    return ByteBuffer.allocate(CURSOR_LENGTH).putLong(index).array();
  }

  private static int index(byte[] cursor) {
    if (cursor.length == 0) {
      return 0;
    }
    long index = cursor.length == CURSOR_LENGTH ? ByteBuffer.wrap(cursor).getLong() : -1;
    if (index < 0 || index > Integer.MAX_VALUE) {
      throw new ProtoException("not a cursor this gateway gave out");
    }
    return (int) index;
  }
}
