package io.canopy.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.gateway.openai.AccessKeyApiKeys;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.gateway.s3.meta.S3MetadataException;
import io.canopy.validator.ledger.Accounts;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy gateway keys create --account NAME}: issues an S3 access key pair for an account
 * (creating the account on first use) in the home's gateway database, and prints it as one JSON
 * line, with the ledger account this gateway bills the account's jobs to when the home has an
 * identity. The secret is shown only here; keep it like a password.
 */
@Command(name = "gateway", description = "Manage the gateway's S3 accounts and keys.",
    subcommands = GatewayCommand.Keys.class)
final class GatewayCommand {

  @Command(name = "keys", description = "S3 access keys.")
  static final class Keys extends CanopyCommand {
    @Command(name = "create", description = "Issue an access key/secret pair for ACCOUNT; prints {\"account\",\"accessKeyId\",\"secretAccessKey\",\"apiKey\",\"ledgerAccount\"}.")
    int create(@Option(names = "--account", required = true, paramLabel = "NAME", description = "The account the key acts for.") String account,
               @Option(names = "--database", paramLabel = "URL",
                   description = "The gateways' PostgreSQL database (as given to canopy daemon --database); default: the home's SQLite file.")
               String database) {
      return run(() -> {
        Home home = home();
        if (database == null) {
          home.requireInitialized();
        }
        try (JdbcS3Metadata meta = GatewayDatabase.open(home, database)) {
          if (meta.account(account).isEmpty()) {
            meta.createAccount(account);
          }
          AccessKey key = meta.issueAccessKey(account);
          Map<String, String> line = new LinkedHashMap<>();
          line.put("account", key.account());
          line.put("accessKeyId", key.accessKeyId());
          line.put("secretAccessKey", key.secretAccessKey());
          line.put("apiKey", AccessKeyApiKeys.apiKey(key));
          if (home.isInitialized()) {
            // This gateway's jobs for the account are billed here (spec/settlement.md §7.2).
            line.put("ledgerAccount", Accounts.gatewayUser(home.readConfig().privateKey().peerId(), account));
          }
          println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(line));
        } catch (S3MetadataException e) {
          throw new CommandException(e.getMessage(), e);
        }
      });
    }
  }
}
