package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start, as a user types it: {@code ./canopy devnet} from the repository root
 * brings a whole network up (separate node processes), then the three pasted commands work — an
 * {@code aws s3 cp}, a {@code curl /ipfs/CID} of what was put, a {@code curl /v1/embeddings} —
 * and Ctrl-C (SIGTERM) stops every node. Started again on the same {@code --dir}, it is the same
 * network: same keys, and the object is still there.
 */
@Tag("interop")
class DevnetQuickStartTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static Path repo() {
    return DevnetProcess.repo();
  }

  private DevnetProcess start(Path dir) throws Exception {
    return DevnetProcess.start(dir, tmp);
  }

  /** Ctrl-C: every node process goes with the devnet. */
  private static void stop(DevnetProcess d) throws Exception {
    assertThat(d.nodes()).as("node processes").hasSizeGreaterThanOrEqualTo(10);
    d.stop(); // SIGTERM, as Ctrl-C; fails unless the devnet and every node exit
  }

  /** One pasted command line, run by bash with the printed keys exported; its stdout. */
  private String sh(JsonNode e, String command) throws Exception {
    ProcessBuilder b = new ProcessBuilder("bash", "-c", command).directory(repo().toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("commands.err").toFile()));
    b.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", e.path("accessKeyId").asText(), "AWS_SECRET_ACCESS_KEY",
        e.path("secretAccessKey").asText(), "AWS_DEFAULT_REGION", "us-east-1"));
    Process run = b.start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as("%s (stderr: %s)", command, Files.readString(tmp.resolve("commands.err"))).isZero();
    return out;
  }

  @Test
  void theQuickStartWorksAndTheDevnetStopsCleanly() throws Exception {
    Path dir = tmp.resolve("devnet");
    DevnetProcess devnet = start(dir);
    JsonNode e = devnet.endpoints();
    assertThat(e.fieldNames()).toIterable()
        .contains("s3", "accessKeyId", "secretAccessKey", "ipfsGateway", "rpc", "openai", "apiKey", "dashboard");
    String s3 = e.path("s3").asText();
    try {
      sh(e, "aws --endpoint-url " + s3 + " s3 mb s3://demo");
      sh(e, "aws --endpoint-url " + s3 + " s3 cp README.md s3://demo/");
      String cid = sh(e, "aws --endpoint-url " + s3 + " s3api head-object --bucket demo --key README.md --query Metadata.cid --output text")
          .trim();
      assertThat(cid).startsWith("Qm");
      String page = sh(e, "curl -sSf " + e.path("ipfsGateway").asText() + "/ipfs/" + cid);
      assertThat(page).isEqualTo(Files.readString(repo().resolve("README.md")));
      JsonNode embedding = JSON.readTree(sh(e, "curl -sSf " + e.path("openai").asText() + "/embeddings -H 'Authorization: Bearer "
          + e.path("apiKey").asText() + "' -H 'Content-Type: application/json' -d '{\"model\":\"all-MiniLM-L6-v2\",\"input\":\"hello\"}'"));
      assertThat(embedding.path("data").get(0).path("embedding").size()).isEqualTo(384);
    } finally {
      stop(devnet);
    }

    // Same folder, same network: the keys and the object survive a restart.
    DevnetProcess again = start(dir);
    try {
      assertThat(again.endpoints().path("accessKeyId").asText()).isEqualTo(e.path("accessKeyId").asText());
      String back = sh(again.endpoints(), "aws --endpoint-url " + again.endpoints().path("s3").asText() + " s3 cp s3://demo/README.md -");
      assertThat(back).isEqualTo(Files.readString(repo().resolve("README.md")));
    } finally {
      stop(again);
    }
  }
}
