package io.canopy.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.identity.PeerId;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.LedgerException;
import io.canopy.validator.ledger.Posting;
import io.canopy.validator.ledger.StoredRecord;
import io.canopy.validator.settle.LedgerVerifier;
import io.canopy.validator.settle.Payout;
import io.canopy.validator.settle.SettlementRecord;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy ledger balance|epochs|export|verify|deposit}: the validator's payout ledger
 * (spec/settlement.md), in the home's {@code ledger.db} or the PostgreSQL database {@code
 * --database} names. Amounts are integer micro-credits.
 */
@Command(name = "ledger", description = "The validator's payout ledger: balances, settled epochs, exports and verification.")
final class LedgerCommand extends CanopyCommand {
  private static final HexFormat HEX = HexFormat.of();
  private static final String DATABASE_HELP =
      "The validators' PostgreSQL database (postgresql://user:password@host:port/db); default: the home's ledger.db.";

  @Command(name = "balance", description = "Print ACCOUNT's balance in micro-credits (user:PEER, user:GATEWAY/NAME, operator:PEER, validator:PEER, network, external).")
  int balance(@Parameters(paramLabel = "ACCOUNT") String account,
              @Option(names = "--database", paramLabel = "URL", description = DATABASE_HELP) String database) {
    return ledger(() -> {
      try (Ledger ledger = open(database)) {
        println(Long.toString(ledger.balance(account)));
      }
    });
  }

  @Command(name = "epochs", description = "List the settled epochs: epoch, record hash, total paid, fees, unfunded, forfeited, payouts, signers.")
  int epochs(@Option(names = "--database", paramLabel = "URL", description = DATABASE_HELP) String database) {
    return ledger(() -> {
      try (Ledger ledger = open(database)) {
        for (StoredRecord stored : ledger.records()) {
          SettlementRecord r = SettlementRecord.decode(stored.encoded());
          println(stored.epoch() + "  " + HEX.formatHex(stored.hash()) + "  paid " + r.totalPaid() + "  fees " + r.totalFees()
              + "  unfunded " + r.unfunded() + "  forfeited " + r.forfeited() + "  payouts " + r.payouts().size() + "  signers "
              + r.signers().size());
        }
      }
    });
  }

  @Command(name = "export", description = "Print a settled epoch's postings (csv) or its record, payouts and postings (json).")
  int export(@Option(names = "--epoch", required = true, paramLabel = "N", description = "The settled epoch.") long epoch,
             @Option(names = "--format", paramLabel = "csv|json", defaultValue = "csv", description = "csv (default) or json.") String format,
             @Option(names = "--database", paramLabel = "URL", description = DATABASE_HELP) String database) {
    return ledger(() -> {
      if (!format.equals("csv") && !format.equals("json")) {
        throw new CommandException("--format '" + format + "': expected csv or json");
      }
      try (Ledger ledger = open(database)) {
        StoredRecord stored = ledger.record(epoch).orElseThrow(() -> new CommandException("epoch " + epoch + " is not settled"));
        List<Posting> postings = ledger.postings(epoch);
        if (format.equals("csv")) {
          println("seq,tx,epoch,kind,memo,account,amount");
          for (Posting p : postings) {
            println(p.seq() + "," + p.tx() + "," + p.epoch() + "," + csv(p.kind()) + "," + csv(p.memo()) + "," + csv(p.account()) + ","
                + p.amount());
          }
          return;
        }
        println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json(stored, postings)));
      }
    });
  }

  @Command(name = "verify", description = "Recompute the hash chain, the Merkle roots and every balance from the postings; report the first inconsistency.")
  int verify(@Option(names = "--database", paramLabel = "URL", description = DATABASE_HELP) String database) {
    return ledger(() -> {
      try (Ledger ledger = open(database)) {
        LedgerVerifier.Result result = LedgerVerifier.verify(ledger);
        if (!result.ok()) {
          throw new CommandException("ledger inconsistent: " + result);
        }
        println("ledger OK: " + ledger.epochs().size() + " settled epochs");
      }
    });
  }

  @Command(name = "deposit", description = "Credit AMOUNT micro-credits to ACCOUNT from external (for tests and devnets).")
  int deposit(@Parameters(index = "0", paramLabel = "ACCOUNT") String account,
              @Parameters(index = "1", paramLabel = "AMOUNT") long amount,
              @Option(names = "--database", paramLabel = "URL", description = DATABASE_HELP) String database) {
    return ledger(() -> {
      try (Ledger ledger = open(database)) {
        ledger.deposit(account, amount);
        println(account + " " + ledger.balance(account));
      }
    });
  }

  private Ledger open(String database) {
    try {
      if (database == null) {
        Home home = home();
        home.requireInitialized();
        return Ledger.openSqlite(home.ledgerFile());
      }
      return Ledger.openPostgres(GatewayDatabase.jdbcUrl(database));
    } catch (LedgerException e) {
      throw new CommandException(e.getMessage(), e);
    }
  }

  /** {@link #run}, with the ledger's refusals reported as plain one-line errors. */
  private int ledger(Body body) {
    return run(() -> {
      try {
        body.run();
      } catch (LedgerException e) {
        throw new CommandException(e.getMessage(), e);
      }
    });
  }

  private static ObjectNode json(StoredRecord stored, List<Posting> postings) {
    SettlementRecord r = SettlementRecord.decode(stored.encoded());
    ObjectNode out = HomeConfig.JSON.createObjectNode();
    out.put("networkId", r.networkId());
    out.put("epoch", r.epoch());
    out.put("hash", HEX.formatHex(stored.hash()));
    out.put("previousHash", HEX.formatHex(r.previousHash()));
    out.put("inputsDigest", HEX.formatHex(r.inputsDigest()));
    out.put("payoutsRoot", HEX.formatHex(r.payoutsRoot()));
    out.put("totalPaid", r.totalPaid());
    out.put("totalFees", r.totalFees());
    out.put("unfunded", r.unfunded());
    out.put("forfeited", r.forfeited());
    ArrayNode signers = out.putArray("signers");
    for (PeerId s : r.signers()) {
      signers.add(s.toString());
    }
    ArrayNode payouts = out.putArray("payouts");
    for (Payout p : r.payouts()) {
      payouts.addObject().put("account", p.account()).put("amount", p.amount());
    }
    ArrayNode rows = out.putArray("postings");
    for (Posting p : postings) {
      rows.addObject().put("seq", p.seq()).put("tx", p.tx()).put("kind", p.kind()).put("memo", p.memo()).put("account", p.account())
          .put("amount", p.amount());
    }
    return out;
  }

  /** RFC 4180: quoted when it holds a comma, quote or line break. */
  private static String csv(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
      return field;
    }
    return '"' + field.replace("\"", "\"\"") + '"';
  }
}
