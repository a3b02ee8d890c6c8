package io.canopy.compute.job;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The gateway's job records, kept for settlement and for the validators that re-run a sample of
 * them (spec/compute-verification.md §6.1): an append-only file of records {@code length (4 bytes,
 * big-endian) ‖ CRC32C of the body (4) ‖ body (an {@link Entry})}, each forced to disk before
 * {@link #append} returns. A crash can only leave a torn last record; opening the log cuts it off,
 * so every record read back is whole. A record whose CRC holds but whose body does not decode was
 * not torn by a crash: it is reported with its offset, never cut or skipped.
 */
public final class ReceiptLog implements AutoCloseable {
  /** The most output an entry keeps: all a gateway accepts from a node for one job. */
  public static final int MAX_OUTPUT = ComputeClient.DEFAULT_MAX_OUTPUT;
  /** The largest input, the largest kept output, and room for the receipt, params and framing. */
  public static final int MAX_RECORD = JobRequest.MAX_INPUT_SIZE + MAX_OUTPUT + 16 * 1024;
  private static final int HEADER = 8;

  /**
   * One job record: the countersigned receipt, the job the gateway sent for it, and the output
   * received (every chunk, in order), or {@code null} when not kept (spec §6.1 keeps it only for a
   * non-exact embedding receipt). The body of a log record, and the record validators receive:
   * <pre>
   * message Entry {
   *   bytes countersigned = 1;  // CountersignedReceipt encoding (spec/compute.md §3.8)
   *   bytes job           = 2;  // JobRequest encoding (§3.1)
   *   bytes output        = 3;  // absent when not kept
   * }
   * </pre>
   */
  public record Entry(CountersignedReceipt countersigned, JobRequest job, byte[] output) {
    public Entry {
      Objects.requireNonNull(countersigned, "countersigned");
      Objects.requireNonNull(job, "job");
      if (output != null && output.length > MAX_OUTPUT) {
        throw new IllegalArgumentException("kept output of " + output.length + " bytes exceeds " + MAX_OUTPUT);
      }
    }

    public long epoch() {
      return countersigned.receipt().epoch();
    }

    public byte[] encode() {
      ProtoWriter w = new ProtoWriter(1024 + job.input().length + (output == null ? 0 : output.length))
          .bytes(1, countersigned.encode())
          .bytes(2, job.encode());
      if (output != null) {
        w.bytes(3, output);
      }
      return w.toByteArray();
    }

    /** Decodes an entry of at most {@link #MAX_RECORD} bytes; {@link ComputeMessageException} with the reason otherwise. */
    public static Entry decode(byte[] bytes) {
      if (bytes.length > MAX_RECORD) {
        throw new ComputeMessageException("job record of " + bytes.length + " bytes exceeds " + MAX_RECORD);
      }
      CountersignedReceipt countersigned = null;
      JobRequest job = null;
      byte[] output = null;
      try {
        ProtoReader r = new ProtoReader(bytes);
        while (r.next()) {
          switch (r.field()) {
            case 1 -> countersigned = CountersignedReceipt.decode(r.bytes());
            case 2 -> job = JobRequest.decode(r.bytes());
            case 3 -> output = r.bytes();
            default -> r.skip();
          }
        }
        if (countersigned == null || job == null) {
          throw new ComputeMessageException("job record lacks its countersigned receipt or its job");
        }
        return new Entry(countersigned, job, output);
      } catch (RuntimeException e) {
        throw e instanceof ComputeMessageException c ? c : new ComputeMessageException("malformed job record: " + e.getMessage(), e);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && Arrays.equals(encode(), e.encode());
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
      return "Entry[" + job.jobId() + ", epoch " + epoch() + (output != null ? ", " + output.length + " output bytes" : "") + "]";
    }
  }

  private final Path file;
  private final FileChannel channel;
  /** Where each epoch's records start, in log order: serving one epoch reads only its records. */
  private final Map<Long, List<Long>> offsetsByEpoch;
  private long end;
  private long count;

  private ReceiptLog(Path file, FileChannel channel, Map<Long, List<Long>> offsetsByEpoch, long end, long count) {
    this.file = file;
    this.channel = channel;
    this.offsetsByEpoch = offsetsByEpoch;
    this.end = end;
    this.count = count;
  }

  /** Opens (or creates) the log at {@code file}, cutting off a torn last record. */
  public static ReceiptLog open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      Map<Long, List<Long>> offsets = new HashMap<>();
      long validEnd = scan(channel, channel.size(),
          (offset, entry) -> offsets.computeIfAbsent(entry.epoch(), e -> new ArrayList<>()).add(offset));
      if (validEnd < channel.size()) {
        channel.truncate(validEnd);
        channel.force(true);
      }
      channel.position(validEnd);
      return new ReceiptLog(file, channel, offsets, validEnd, offsets.values().stream().mapToLong(List::size).sum());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Appends {@code entry} and forces it to disk. */
  public synchronized void append(Entry entry) throws IOException {
    byte[] body = entry.encode();
    if (body.length > MAX_RECORD) {
      throw new IllegalArgumentException("job record of " + body.length + " bytes is over " + MAX_RECORD);
    }
    ByteBuffer record = ByteBuffer.allocate(HEADER + body.length);
    record.putInt(body.length).putInt(crc(body)).put(body).flip();
    while (record.hasRemaining()) {
      channel.write(record);
    }
    channel.force(false);
    offsetsByEpoch.computeIfAbsent(entry.epoch(), e -> new ArrayList<>()).add(end);
    end += record.capacity();
    count++;
  }

  /** Records appended so far, this run and earlier ones. */
  public synchronized long size() {
    return count;
  }

  /** Every entry in the log, oldest first. */
  public List<Entry> readAll() throws IOException {
    long upTo;
    synchronized (this) {
      upTo = end;
    }
    // Positional reads run alongside appends (FileChannel allows it), so a reader never stalls the gateway.
    List<Entry> out = new ArrayList<>();
    scan(channel, upTo, (offset, entry) -> out.add(entry));
    return out;
  }

  /** The entries whose receipt is of {@code epoch}, in log order. */
  public List<Entry> entries(long epoch) throws IOException {
    return entries(epoch, 0, Integer.MAX_VALUE);
  }

  /** At most {@code max} of the entries of {@code epoch}, from the {@code from}-th (0-based, log order); a validator pages through them. */
  public List<Entry> entries(long epoch, int from, int max) throws IOException {
    if (from < 0 || max < 0) {
      throw new IllegalArgumentException("from and max must be non-negative");
    }
    List<Long> offsets;
    long upTo;
    synchronized (this) {
      upTo = end;
      List<Long> all = offsetsByEpoch.getOrDefault(epoch, List.of());
      offsets = List.copyOf(all.subList(Math.min(from, all.size()), (int) Math.min(all.size(), (long) from + max)));
    }
    List<Entry> out = new ArrayList<>(offsets.size());
    for (long offset : offsets) {
      byte[] body = readRecord(channel, offset, upTo);
      if (body == null) {
        throw new IOException(file + ": the record at offset " + offset + " no longer reads back whole");
      }
      out.add(decodeAt(body, offset));
    }
    return out;
  }

  /** The receipts alone, read from a log file without opening it for writing (exports, tests). */
  public static List<CountersignedReceipt> read(Path file) throws IOException {
    List<CountersignedReceipt> out = new ArrayList<>();
    if (Files.exists(file)) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        scan(channel, channel.size(), (offset, entry) -> out.add(entry.countersigned()));
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

  private interface Visitor {
    void entry(long offset, Entry entry);
  }

  /**
   * Walks the records before {@code limit} from the start, passing each to {@code visitor}, and
   * returns where the whole records end: it stops at the first that is short, too long, or fails
   * its CRC (a torn tail), and throws for one that passes its CRC but does not decode.
   */
  private static long scan(FileChannel channel, long limit, Visitor visitor) throws IOException {
    long size = Math.min(limit, channel.size());
    long pos = 0;
    for (byte[] body = readRecord(channel, 0, size); body != null; body = readRecord(channel, pos, size)) {
      visitor.entry(pos, decodeAt(body, pos));
      pos += HEADER + body.length;
    }
    return pos;
  }

  /** The body of the record at {@code pos}, or null if it does not end by {@code size} or fails its CRC. */
  private static byte[] readRecord(FileChannel channel, long pos, long size) throws IOException {
    if (pos + HEADER > size) {
      return null;
    }
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    readFully(channel, header, pos);
    header.flip();
    int length = header.getInt();
    int crc = header.getInt();
    if (length <= 0 || length > MAX_RECORD || pos + HEADER + length > size) {
      return null;
    }
    ByteBuffer body = ByteBuffer.allocate(length);
    readFully(channel, body, pos + HEADER);
    byte[] bytes = body.array();
    return crc(bytes) == crc ? bytes : null;
  }

  private static Entry decodeAt(byte[] body, long offset) throws IOException {
    try {
      return Entry.decode(body);
    } catch (ComputeMessageException e) {
      throw new IOException("the record at offset " + offset + " has a valid CRC but does not decode: " + e.getMessage(), e);
    }
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
