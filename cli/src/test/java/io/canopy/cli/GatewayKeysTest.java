package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayKeysTest {
  @TempDir Path tmp;

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  @Test
  void keysAreIssuedPerAccountAndStored() throws Exception {
    Path home = tmp.resolve("h");
    cli(home).run("init").ok();
    JsonNode first = HomeConfig.JSON.readTree(cli(home).run("gateway", "keys", "create", "--account", "alice").ok().out());
    JsonNode second = HomeConfig.JSON.readTree(cli(home).run("gateway", "keys", "create", "--account", "alice").ok().out());
    assertThat(first.path("account").asText()).isEqualTo("alice");
    assertThat(first.path("accessKeyId").asText()).hasSize(20).startsWith("CNPY").isNotEqualTo(second.path("accessKeyId").asText());
    assertThat(first.path("secretAccessKey").asText()).hasSize(40);
    // this gateway's jobs for alice are billed to alice under this gateway's peer ID
    assertThat(first.path("ledgerAccount").asText()).isEqualTo("user:" + TestNodes.peerId(home) + "/alice");
    try (JdbcS3Metadata meta = JdbcS3Metadata.openSqlite(home.resolve(Home.S3_FILE))) {
      assertThat(meta.activeAccessKey(first.path("accessKeyId").asText()))
          .hasValueSatisfying(k -> assertThat(k.secretAccessKey()).isEqualTo(first.path("secretAccessKey").asText()));
    }
    cli(home).run("gateway", "keys", "create", "--account", "no spaces please").failsNaming("no spaces please");
    cli(tmp.resolve("none")).run("gateway", "keys", "create", "--account", "bob").failsNaming("canopy init");
  }
}
