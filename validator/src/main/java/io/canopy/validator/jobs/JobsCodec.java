package io.canopy.validator.jobs;

import io.canopy.protobuf.ProtoException;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;

/** Encodes and decodes {@link JobsMessage}s. */
public final class JobsCodec {
  private JobsCodec() {}

  public static byte[] encode(JobsMessage message) {
    if (message instanceof JobsMessage.Request r) {
      return new ProtoWriter().message(1, new ProtoWriter().varint(1, r.epoch()).bytes(2, r.after())).toByteArray();
    }
    if (message instanceof JobsMessage.Page p) {
      ProtoWriter page = new ProtoWriter(p.records().stream().mapToInt(b -> b.length + 8).sum() + p.next().length + 16);
      p.records().forEach(record -> page.bytes(1, record));
      if (p.next().length > 0) {
        page.bytes(2, p.next());
      }
      return new ProtoWriter(page.size() + 8).message(2, page).toByteArray();
    }
    JobsMessage.Refused r = (JobsMessage.Refused) message;
    return new ProtoWriter().message(3, new ProtoWriter().string(1, r.reason())).toByteArray();
  }

  /**
   * Decodes one message; a page holds at most {@link JobsMessage#MAX_PAGE_RECORDS} records (their
   * bytes are not decoded here: each is checked on its own). {@link ProtoException} with the reason
   * if {@code bytes} is not a valid message.
   */
  public static JobsMessage decode(byte[] bytes) {
    return ProtoReader.oneof(bytes, "jobs message", r -> switch (r.field()) {
      case 1 -> decodeRequest(r.bytes());
      case 2 -> decodePage(r.bytes());
      case 3 -> decodeRefused(r.bytes());
      default -> {
        r.skip();
        yield null;
      }
    }, ProtoException::new);
  }

  private static JobsMessage.Request decodeRequest(byte[] bytes) {
    long epoch = 0;
    byte[] after = new byte[0];
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> epoch = r.varint();
        case 2 -> after = r.bytes();
        default -> r.skip();
      }
    }
    return new JobsMessage.Request(epoch, after);
  }

  private static JobsMessage.Page decodePage(byte[] bytes) {
    List<byte[]> records = new ArrayList<>();
    byte[] next = new byte[0];
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> {
          if (records.size() == JobsMessage.MAX_PAGE_RECORDS) {
            throw new ProtoException("page has more than " + JobsMessage.MAX_PAGE_RECORDS + " records");
          }
          records.add(r.bytes());
        }
        case 2 -> next = r.bytes();
        default -> r.skip();
      }
    }
    return new JobsMessage.Page(records, next);
  }

  private static JobsMessage.Refused decodeRefused(byte[] bytes) {
    String reason = "";
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      if (r.field() == 1) {
        reason = r.string();
      } else {
        r.skip();
      }
    }
    return new JobsMessage.Refused(reason);
  }
}
