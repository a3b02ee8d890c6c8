package io.canopy.validator.settle;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.validator.ledger.Ledger;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A validator process that settles one epoch and exits, for {@link SettlementCrashTest} to kill:
 * {@code SettleChildMain LEDGER INPUTS EPOCH}. Prints {@code settling} once the inputs are read,
 * then {@code done HASH}.
 */
public final class SettleChildMain {
  private SettleChildMain() {}

  public static void main(String[] args) throws Exception {
    Path ledgerFile = Path.of(args[0]);
    EpochInputs inputs = readInputs(Path.of(args[1]));
    long epoch = Long.parseLong(args[2]);
    try (Ledger ledger = Ledger.openSqlite(ledgerFile)) {
      System.out.println("settling");
      System.out.flush();
      SettlementRecord record = new Settler(ledger, SettlementFixtures.NETWORK, SettlementCrashTest.PRICES)
          .settle(epoch, inputs, SettlementCrashTest.SIGNERS);
      System.out.println("done " + record.hashHex());
    }
  }

  /** Inputs written by {@link SettlementCrashTest#writeInputs}: receipts as length-prefixed encodings; replicas derived. */
  static EpochInputs readInputs(Path file) throws IOException {
    List<CountersignedReceipt> receipts = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in))) {
      int n = data.readInt();
      for (int i = 0; i < n; i++) {
        byte[] b = new byte[data.readInt()];
        data.readFully(b);
        receipts.add(CountersignedReceipt.decode(b));
      }
    }
    return new EpochInputs(SettlementCrashTest.replicas(), receipts, SettlementCrashTest.FRAUD,
        SettlementFixtures.peers(SettlementCrashTest.VALIDATORS));
  }

  static List<Ed25519PrivateKey> signers() {
    return SettlementCrashTest.SIGNERS;
  }
}
