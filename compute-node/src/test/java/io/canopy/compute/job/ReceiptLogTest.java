package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's receipt log keeps every appended receipt across restarts, and a crash mid-append loses only that record. */
class ReceiptLogTest {
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.fromSeed(new byte[32]);
  private static final Ed25519PrivateKey GATEWAY = Ed25519PrivateKey.fromSeed(filled(7));
  @TempDir Path tmp;

  private static byte[] filled(int b) {
    byte[] seed = new byte[32];
    java.util.Arrays.fill(seed, (byte) b);
    return seed;
  }

  static CountersignedReceipt receipt(int i) {
    Cid model = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "m".getBytes(StandardCharsets.UTF_8));
    JobRequest job = new JobRequest("job-" + i, model, Task.COMPLETION, ("prompt " + i).getBytes(StandardCharsets.UTF_8), Params.DEFAULT);
    Receipt r = Receipt.sign(NODE, job, Receipt.sha256(("out " + i).getBytes(StandardCharsets.UTF_8)), new Usage(3, i), 0, 1000, 1000 + i, true);
    return CountersignedReceipt.sign(GATEWAY, r, "alice", 2000 + i);
  }

  @Test
  void receiptsSurviveAReopen() throws Exception {
    Path file = tmp.resolve("receipts.log");
    List<CountersignedReceipt> written = new ArrayList<>();
    try (ReceiptLog log = ReceiptLog.open(file)) {
      for (int i = 0; i < 5; i++) {
        written.add(receipt(i));
        log.append(written.get(i));
      }
    }
    try (ReceiptLog log = ReceiptLog.open(file)) {
      assertThat(log.size()).isEqualTo(5);
      log.append(receipt(5));
      written.add(receipt(5));
      assertThat(log.readAll()).isEqualTo(written);
    }
    assertThat(ReceiptLog.read(file)).isEqualTo(written).allSatisfy(r -> assertThat(r.verify()).isTrue());
  }

  @Test
  void aTornOrDamagedTailIsCutOffAndTheRestKept() throws Exception {
    Path file = tmp.resolve("receipts.log");
    try (ReceiptLog log = ReceiptLog.open(file)) {
      for (int i = 0; i < 3; i++) {
        log.append(receipt(i));
      }
    }
    long whole = Files.size(file);
    long twoRecords = whole - whole / 3; // the three records are the same length
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      Path copy = tmp.resolve("copy-" + round);
      Files.copy(file, copy);
      try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
        if (round % 2 == 0) { // a crash mid-append: the last record cut anywhere
          ch.truncate(twoRecords + 1 + random.nextInt((int) (whole - twoRecords - 1)));
        } else { // a damaged byte in the last record
          ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) random.nextInt()}), twoRecords + 8 + random.nextInt((int) (whole - twoRecords - 8)));
        }
      }
      try (ReceiptLog log = ReceiptLog.open(copy)) {
        assertThat(log.readAll()).as("round " + round).containsExactly(receipt(0), receipt(1));
        log.append(receipt(9));
      }
      assertThat(ReceiptLog.read(copy)).containsExactly(receipt(0), receipt(1), receipt(9));
    }
  }

  @Test
  void aCountersignatureCoversTheAccountAndTheReceipt() {
    CountersignedReceipt good = receipt(1);
    assertThat(CountersignedReceipt.decode(good.encode())).isEqualTo(good);
    assertThat(new CountersignedReceipt(good.receipt(), good.gateway(), "mallory", good.countersignedMillis(), good.signature()).verify())
        .isFalse();
    assertThat(new CountersignedReceipt(receipt(2).receipt(), good.gateway(), "alice", good.countersignedMillis(), good.signature()).verify())
        .isFalse();
  }
}
