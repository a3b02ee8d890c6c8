package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.job.ReceiptLog.Entry;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's job log keeps every appended entry (receipt, job, kept output) across restarts,
 * serves them by epoch, and a crash mid-append loses only that record.
 */
class ReceiptLogTest {
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.fromSeed(new byte[32]);
  private static final Ed25519PrivateKey GATEWAY = Ed25519PrivateKey.fromSeed(filled(7));
  @TempDir Path tmp;

  private static byte[] filled(int b) {
    byte[] seed = new byte[32];
    Arrays.fill(seed, (byte) b);
    return seed;
  }

  /** Entry {@code i}: of epoch {@code i % 2}; odd ones are non-exact embeddings that keep their output. */
  static Entry entry(int i) {
    Cid model = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "m".getBytes(StandardCharsets.UTF_8));
    boolean embedding = i % 2 == 1;
    JobRequest job = new JobRequest("job-" + i, model, embedding ? Task.EMBEDDING : Task.COMPLETION,
        ("prompt " + i).getBytes(StandardCharsets.UTF_8), Params.DEFAULT);
    byte[] output = ("out " + i).getBytes(StandardCharsets.UTF_8);
    Receipt r = Receipt.sign(NODE, job, Receipt.sha256(output), new Usage(3, i), i % 2, 1000, 1000 + i, !embedding);
    return new Entry(CountersignedReceipt.sign(GATEWAY, r, "alice", 2000 + i), job, embedding ? output : null);
  }

  @Test
  void entriesSurviveAReopenAndAreServedByEpoch() throws Exception {
    Path file = tmp.resolve("receipts.log");
    List<Entry> written = new ArrayList<>();
    try (ReceiptLog log = ReceiptLog.open(file)) {
      for (int i = 0; i < 5; i++) {
        written.add(entry(i));
        log.append(written.get(i));
      }
    }
    try (ReceiptLog log = ReceiptLog.open(file)) {
      assertThat(log.size()).isEqualTo(5);
      log.append(entry(5));
      written.add(entry(5));
      assertThat(log.readAll()).isEqualTo(written);
      assertThat(log.entries(0)).containsExactly(entry(0), entry(2), entry(4));
      assertThat(log.entries(1)).containsExactly(entry(1), entry(3), entry(5))
          .allSatisfy(e -> assertThat(e.output()).isNotNull());
      assertThat(log.entries(1, 1, 1)).containsExactly(entry(3));
      assertThat(log.entries(1, 2, 10)).containsExactly(entry(5));
      assertThat(log.entries(1, 3, 10)).isEmpty();
      assertThat(log.entries(7)).isEmpty();
    }
    assertThat(ReceiptLog.read(file)).isEqualTo(written.stream().map(Entry::countersigned).toList())
        .allSatisfy(r -> assertThat(r.verify()).isTrue());
  }

  @Test
  void anOutputFarOverTheOldReceiptLimitIsKept() throws Exception {
    Entry small = entry(1);
    byte[] big = new byte[3 * 1024 * 1024];
    new Random(1).nextBytes(big);
    Entry large = new Entry(small.countersigned(), small.job(), big);
    try (ReceiptLog log = ReceiptLog.open(tmp.resolve("receipts.log"))) {
      log.append(large);
      log.append(entry(3));
      assertThat(log.entries(1)).containsExactly(large, entry(3));
    }
    try (ReceiptLog log = ReceiptLog.open(tmp.resolve("receipts.log"))) {
      assertThat(log.readAll()).containsExactly(large, entry(3));
    }
  }

  @Test
  void aTornOrDamagedTailIsCutOffAndTheRestKept() throws Exception {
    Path file = tmp.resolve("receipts.log");
    long twoRecords;
    try (ReceiptLog log = ReceiptLog.open(file)) {
      log.append(entry(0));
      log.append(entry(1));
      twoRecords = Files.size(file);
      log.append(entry(2));
    }
    long whole = Files.size(file);
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      Path copy = tmp.resolve("copy-" + round);
      Files.copy(file, copy);
      try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        if (round % 2 == 0) { // a crash mid-append: the last record cut anywhere
          ch.truncate(twoRecords + 1 + random.nextInt((int) (whole - twoRecords - 1)));
        } else { // a flipped bit in the last record's body: its CRC no longer holds
          long at = twoRecords + 8 + random.nextInt((int) (whole - twoRecords - 8));
          ByteBuffer b = ByteBuffer.allocate(1);
          ch.read(b, at);
          ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ (1 << random.nextInt(8)))}), at);
        }
      }
      try (ReceiptLog log = ReceiptLog.open(copy)) {
        assertThat(log.readAll()).as("round " + round).containsExactly(entry(0), entry(1));
        assertThat(log.entries(0)).as("round " + round).containsExactly(entry(0));
        log.append(entry(9));
        assertThat(log.entries(1)).containsExactly(entry(1), entry(9));
      }
      assertThat(ReceiptLog.read(copy)).containsExactly(entry(0).countersigned(), entry(1).countersigned(), entry(9).countersigned());
    }
  }

  @Test
  void aWholeRecordThatDoesNotDecodeIsAnErrorWithItsOffsetNotCutOff() throws Exception {
    Path file = tmp.resolve("receipts.log");
    try (ReceiptLog log = ReceiptLog.open(file)) {
      log.append(entry(0));
    }
    long offset = Files.size(file);
    byte[] garbage = "not a job record".getBytes(StandardCharsets.UTF_8);
    CRC32C crc = new CRC32C();
    crc.update(garbage);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.allocate(8 + garbage.length).putInt(garbage.length).putInt((int) crc.getValue()).put(garbage).flip());
    }
    long size = Files.size(file);
    assertThatThrownBy(() -> ReceiptLog.open(file)).isInstanceOf(IOException.class).hasMessageContaining("offset " + offset);
    assertThatThrownBy(() -> ReceiptLog.read(file)).isInstanceOf(IOException.class).hasMessageContaining("offset " + offset);
    assertThat(Files.size(file)).isEqualTo(size);
  }

  @Test
  void anEntryRoundTripsAndBadBytesAreRefusedWithTheReason() {
    for (Entry e : List.of(entry(0), entry(1))) {
      assertThat(Entry.decode(e.encode())).isEqualTo(e);
    }
    assertThat(Entry.decode(entry(0).encode()).output()).isNull();
    byte[] whole = entry(1).encode();
    assertThatThrownBy(() -> Entry.decode(Arrays.copyOf(whole, whole.length - 3))).isInstanceOf(ComputeMessageException.class);
    assertThatThrownBy(() -> Entry.decode(new byte[] {0x0a, 0x01, 0x00})).isInstanceOf(ComputeMessageException.class)
        .hasMessageContaining("countersigned receipt");
    assertThatThrownBy(() -> Entry.decode(new byte[0])).isInstanceOf(ComputeMessageException.class).hasMessageContaining("lacks");
  }

  @Test
  void aCountersignatureCoversTheAccountAndTheReceipt() {
    CountersignedReceipt good = entry(1).countersigned();
    assertThat(CountersignedReceipt.decode(good.encode())).isEqualTo(good);
    assertThat(new CountersignedReceipt(good.receipt(), good.gateway(), "mallory", good.countersignedMillis(), good.signature()).verify())
        .isFalse();
    assertThat(new CountersignedReceipt(entry(2).countersigned().receipt(), good.gateway(), "alice", good.countersignedMillis(),
        good.signature()).verify()).isFalse();
  }
}
