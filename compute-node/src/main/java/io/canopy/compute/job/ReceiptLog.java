package io.canopy.compute.job;

import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The gateway's countersigned receipts, kept for settlement (validators read them; issue #7): an
 * append-only file of records {@code length (4 bytes, big-endian) ‖ CRC32C of the body (4) ‖
 * body (a CountersignedReceipt)}, each forced to disk before {@link #append} returns. A crash can
 * only leave a torn last record; opening the log cuts it off, so every record read back is whole.
 */
public final class ReceiptLog implements AutoCloseable {
  /** A countersigned receipt is well under 1 KiB; anything this long is not one. */
  static final int MAX_RECORD = 16 * 1024;
  private static final int HEADER = 8;

  private final Path file;
  private final FileChannel channel;
  private long count;

  private ReceiptLog(Path file, FileChannel channel, long count) {
    this.file = file;
    this.channel = channel;
    this.count = count;
  }

  /** Opens (or creates) the log at {@code file}, cutting off a torn last record. */
  public static ReceiptLog open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      Scan scan = scan(channel, null);
      if (scan.validEnd() < channel.size()) {
        channel.truncate(scan.validEnd());
        channel.force(true);
      }
      channel.position(scan.validEnd());
      return new ReceiptLog(file, channel, scan.records());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Appends {@code receipt} and forces it to disk. */
  public synchronized void append(CountersignedReceipt receipt) throws IOException {
    byte[] body = receipt.encode();
    if (body.length > MAX_RECORD) {
      throw new IllegalArgumentException("receipt of " + body.length + " bytes is over " + MAX_RECORD);
    }
    ByteBuffer record = ByteBuffer.allocate(HEADER + body.length);
    record.putInt(body.length).putInt(crc(body)).put(body).flip();
    while (record.hasRemaining()) {
      channel.write(record);
    }
    channel.force(false);
    count++;
  }

  /** Records appended so far, this run and earlier ones. */
  public synchronized long size() {
    return count;
  }

  /** Every receipt in the log, oldest first. */
  public synchronized List<CountersignedReceipt> readAll() throws IOException {
    List<CountersignedReceipt> out = new ArrayList<>();
    scan(channel, out);
    return out;
  }

  /** Reads a log file without opening it for writing (a validator or an export). */
  public static List<CountersignedReceipt> read(Path file) throws IOException {
    List<CountersignedReceipt> out = new ArrayList<>();
    if (Files.exists(file)) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        scan(channel, out);
      }
    }
    return out;
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  private record Scan(long validEnd, long records) {}

  /** Walks the records from the start; stops at the first that is short, too long, or fails its CRC or decoding. */
  private static Scan scan(FileChannel channel, List<CountersignedReceipt> into) throws IOException {
    long size = channel.size();
    long pos = 0;
    long records = 0;
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    while (pos + HEADER <= size) {
      header.clear();
      readFully(channel, header, pos);
      header.flip();
      int length = header.getInt();
      int crc = header.getInt();
      if (length <= 0 || length > MAX_RECORD || pos + HEADER + length > size) {
        break;
      }
      ByteBuffer body = ByteBuffer.allocate(length);
      readFully(channel, body, pos + HEADER);
      byte[] bytes = body.array();
      if (crc(bytes) != crc) {
        break;
      }
      CountersignedReceipt receipt;
      try {
        receipt = CountersignedReceipt.decode(bytes);
      } catch (ComputeMessageException e) {
        break;
      }
      if (into != null) {
        into.add(receipt);
      }
      pos += HEADER + length;
      records++;
    }
    return new Scan(pos, records);
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, at);
      if (n < 0) {
        throw new IOException("unexpected end of " + channel);
      }
      at += n;
    }
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }
}
