package io.canopy.validator.records;

import io.canopy.protobuf.ProtoException;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** Encodes and decodes {@link RecordsMessage}s (spec/settlement.md §7.10). */
public final class RecordsCodec {
  private RecordsCodec() {}

  public static byte[] encode(RecordsMessage message) {
    if (message instanceof RecordsMessage.Request r) {
      return new ProtoWriter().message(1, new ProtoWriter().varint(1, r.fromEpoch()).varint(2, r.max())).toByteArray();
    }
    if (message instanceof RecordsMessage.Records p) {
      ProtoWriter page = new ProtoWriter(p.records().stream().mapToInt(b -> b.length + 8).sum() + 16);
      p.records().forEach(record -> page.bytes(1, record));
      p.lastSettled().ifPresent(e -> page.varint(2, e));
      return new ProtoWriter(page.size() + 8).message(2, page).toByteArray();
    }
    RecordsMessage.Refused r = (RecordsMessage.Refused) message;
    return new ProtoWriter().string(3, r.reason()).toByteArray();
  }

  /**
   * Decodes one message; a reply holds at most {@link RecordsMessage#MAX_RECORDS} records (their
   * bytes are not decoded here: the client checks each). {@link ProtoException} with the reason if
   * {@code bytes} is not a valid message.
   */
  public static RecordsMessage decode(byte[] bytes) {
    return ProtoReader.oneof(bytes, "records message", r -> switch (r.field()) {
      case 1 -> decodeRequest(r.bytes());
      case 2 -> decodeRecords(r.bytes());
      case 3 -> new RecordsMessage.Refused(r.string());
      default -> {
        r.skip();
        yield null;
      }
    }, ProtoException::new);
  }

  private static RecordsMessage.Request decodeRequest(byte[] bytes) {
    long from = 0;
    long max = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> from = r.varint();
        case 2 -> max = r.varint();
        default -> r.skip();
      }
    }
    if (from < 0 || max < 1 || max > RecordsMessage.MAX_RECORDS) {
      throw new ProtoException("request out of range: from_epoch " + Long.toUnsignedString(from) + ", max " + Long.toUnsignedString(max)
          + " (1.." + RecordsMessage.MAX_RECORDS + ")");
    }
    return new RecordsMessage.Request(from, (int) max);
  }

  private static RecordsMessage.Records decodeRecords(byte[] bytes) {
    List<byte[]> records = new ArrayList<>();
    OptionalLong last = OptionalLong.empty();
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> {
          if (records.size() == RecordsMessage.MAX_RECORDS) {
            throw new ProtoException("reply has more than " + RecordsMessage.MAX_RECORDS + " records");
          }
          records.add(r.bytes());
        }
        case 2 -> {
          long e = r.varint();
          if (e < 0) {
            throw new ProtoException("last_settled out of range");
          }
          last = OptionalLong.of(e);
        }
        default -> r.skip();
      }
    }
    return new RecordsMessage.Records(records, last);
  }
}
