package io.canopy.validator.records;

import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protobuf.ProtoException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A validator's side of {@code /canopy/records/1.0.0} (spec/settlement.md §7.10): one request in
 * (at most {@link RecordsMessage#MAX_REQUEST} bytes), the settled records it asks for out. The
 * records are public (every operator checks its earnings against them), so any peer is answered;
 * they are read from the {@link RecordSource} on {@code worker}, since that reads the ledger.
 */
public final class RecordsService {
  public static final String PROTOCOL_ID = RecordsMessage.PROTOCOL_ID;
  /** The stream is reset if the reply is not ready by then. */
  public static final Duration SERVE_TIMEOUT = Duration.ofSeconds(30);
  /** A record's framing in a reply: its tag (1 byte) and length (a varint of at most 5). */
  private static final int RECORD_FRAMING = 6;
  private static final System.Logger LOG = System.getLogger(RecordsService.class.getName());

  private final RecordSource source;
  private final Executor worker;

  public RecordsService(RecordSource source, Executor worker) {
    this.source = Objects.requireNonNull(source, "source");
    this.worker = Objects.requireNonNull(worker, "worker");
  }

  /** The handler to register for {@link #PROTOCOL_ID}. */
  public StreamHandler handler() {
    return UnaryRpc.serve(RecordsMessage.MAX_REQUEST, SERVE_TIMEOUT,
        (connection, request) -> CompletableFuture.supplyAsync(() -> RecordsCodec.encode(answer(request)), worker));
  }

  /** The answer to an encoded request: the records asked for (as many as fit in a reply), or a refusal saying why. */
  public RecordsMessage answer(byte[] request) {
    RecordsMessage.Request asked;
    try {
      if (!(RecordsCodec.decode(request) instanceof RecordsMessage.Request r)) {
        return new RecordsMessage.Refused("expected a request");
      }
      asked = r;
    } catch (ProtoException e) {
      return new RecordsMessage.Refused("malformed request: " + e.getMessage());
    }
    List<byte[]> records;
    try {
      records = source.records(asked.fromEpoch(), asked.max());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot read the settled records from epoch " + asked.fromEpoch(), e);
      return new RecordsMessage.Refused("cannot read the settled records: " + e.getMessage());
    }
    List<byte[]> reply = new ArrayList<>();
    long bytes = 0;
    for (byte[] record : records.subList(0, Math.min(records.size(), asked.max()))) {
      bytes += record.length + RECORD_FRAMING;
      if (bytes > RecordsMessage.MAX_RECORDS_BYTES) {
        if (reply.isEmpty()) {
          return new RecordsMessage.Refused("the record from epoch " + asked.fromEpoch() + " on is larger than "
              + RecordsMessage.MAX_RECORDS_BYTES + " bytes");
        }
        break; // the client asks again from the first one left out
      }
      reply.add(record);
    }
    return new RecordsMessage.Records(reply, source.lastSettled());
  }
}
