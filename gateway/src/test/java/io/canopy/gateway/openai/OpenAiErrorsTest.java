package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.Gateway.OpenAiFace;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Iterator;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every entry of {@link OpenAiError} as a client sees it, over raw HTTP: the status and the exact
 * shape {@code {"error": {"message", "type", "param", "code"}}}. The backend is a fixed one whose
 * models fail on purpose ("busy", "offline"), so no model runtime is needed here.
 */
class OpenAiErrorsTest {
  private static final String KEY = "sk-canopy-test-key-0123456789";
  private static final int MAX_BODY = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** "tiny" embeds into 4 dimensions; "busy" and "offline" fail as their names say; "chat" does not embed. */
  private static final InferenceBackend BACKEND = new InferenceBackend() {
    @Override
    public List<ModelInfo> models() {
      return List.of(ModelInfo.embedding("tiny", 1, "canopy", 4), ModelInfo.embedding("busy", 1, "canopy", 4),
          ModelInfo.embedding("offline", 1, "canopy", 4), new ModelInfo("chat", 1, "canopy", Set.of(Task.CHAT), 0));
    }

    @Override
    public Embeddings embed(String account, String model, List<String> inputs) {
      switch (model) {
        case "tiny":
          return new Embeddings(inputs.stream().map(s -> new float[] {1, 0, 0, 0}).toArray(float[][]::new),
              inputs.size());
        case "busy":
          throw new InferenceException.Busy("Model busy is at capacity.");
        case "offline":
          throw new InferenceException.Unavailable("No node serves offline right now.");
        default:
          throw new InferenceException.UnknownModel(model);
      }
    }

    @Override
    public Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink) {
      throw new InferenceException.UnknownModel(model);
    }
  };

  private static Gateway gateway;
  private static URI base;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    gateway = Gateway.start(null, null, null, new OpenAiFace(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKEND, ApiKeys.of(Map.of(KEY, "alice")), MAX_BODY));
    base = gateway.urls().get("openai");
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private static HttpResponse<String> embed(String body) throws Exception {
    return send("POST", "/v1/embeddings", body, KEY);
  }

  /** Checks status, the exact key set, and type/param/code; returns the message. */
  private static String assertError(HttpResponse<String> res, int status, String type, String param, String code)
      throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode root = JSON.readTree(res.body());
    assertThat(fieldNames(root)).containsExactly("error");
    JsonNode error = root.get("error");
    assertThat(fieldNames(error)).containsExactly("message", "type", "param", "code");
    assertThat(error.get("message").isTextual()).isTrue();
    assertThat(error.get("type").textValue()).isEqualTo(type);
    assertThat(error.get("param").isNull() ? null : error.get("param").textValue()).isEqualTo(param);
    assertThat(error.get("code").isNull() ? null : error.get("code").textValue()).isEqualTo(code);
    return error.get("message").textValue();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  @Test
  void aFixedBackendServesEmbeddings() throws Exception {
    HttpResponse<String> res = embed("{\"model\":\"tiny\",\"input\":[\"a\",\"b\"],\"dimensions\":4}");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(JSON.readTree(res.body())).isEqualTo(JSON.readTree("""
        {"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0,0.0,0.0,0.0]},
         {"object":"embedding","index":1,"embedding":[1.0,0.0,0.0,0.0]}],
         "model":"tiny","usage":{"prompt_tokens":2,"total_tokens":2}}"""));
    // [1,0,0,0] as little-endian float32: 00 00 80 3f, then zeros.
    res = embed("{\"model\":\"tiny\",\"input\":\"a\",\"encoding_format\":\"base64\"}");
    assertThat(JSON.readTree(res.body()).at("/data/0/embedding").textValue()).isEqualTo("AACAPwAAAAAAAAAAAAAAAA==");
  }

  @Test
  void expectContinueIsAnswered() throws Exception {
    HttpResponse<String> res = http.send(HttpRequest.newBuilder(base.resolve("/v1/embeddings"))
        .header("Authorization", "Bearer " + KEY)
        .expectContinue(true)
        .POST(BodyPublishers.ofString("{\"model\":\"tiny\",\"input\":\"a\"}"))
        .build(), BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
  }

  @Test
  void listsModelsInOpenAisShape() throws Exception {
    HttpResponse<String> res = send("GET", "/v1/models", null, KEY);
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode root = JSON.readTree(res.body());
    assertThat(fieldNames(root)).containsExactly("object", "data");
    assertThat(root.get("data").get(0)).isEqualTo(JSON.readTree(
        "{\"id\":\"tiny\",\"object\":\"model\",\"created\":1,\"owned_by\":\"canopy\"}"));
  }

  @Test
  void missingOrWrongKeyIs401() throws Exception {
    assertError(send("GET", "/v1/models", null, null), 401, "invalid_request_error", null, "invalid_api_key");
    String message = assertError(send("GET", "/v1/models", null, "sk-wrong-key-abcdefgh"), 401,
        "invalid_request_error", null, "invalid_api_key");
    assertThat(message).doesNotContain("sk-wrong-key-abcdefgh");
    assertError(send("POST", "/v1/embeddings", "{}", "nope"), 401,
        "invalid_request_error", null, "invalid_api_key");
    HttpResponse<String> basic = http.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
        .header("Authorization", "Basic " + KEY).GET().build(), BodyHandlers.ofString());
    assertError(basic, 401, "invalid_request_error", null, "invalid_api_key");
  }

  @Test
  void unknownModelIs404() throws Exception {
    assertError(send("GET", "/v1/models/nope", null, KEY), 404, "invalid_request_error", "model", "model_not_found");
    assertError(embed("{\"model\":\"nope\",\"input\":\"a\"}"), 404, "invalid_request_error", "model", "model_not_found");
    assertError(embed("{\"model\":\"chat\",\"input\":\"a\"}"), 404, "invalid_request_error", "model", "model_not_found");
  }

  @Test
  void badBodiesAre400NamingTheParameter() throws Exception {
    assertError(embed("{not json"), 400, "invalid_request_error", null, null);
    assertError(embed(""), 400, "invalid_request_error", null, null);
    assertError(embed("[1,2]"), 400, "invalid_request_error", null, null);
    assertError(embed("{\"model\":\"tiny\",\"model\":\"tiny\",\"input\":\"a\"}"), 400, "invalid_request_error", null, null);
    assertError(embed("{\"input\":\"a\"}"), 400, "invalid_request_error", "model", null);
    assertError(embed("{\"model\":7,\"input\":\"a\"}"), 400, "invalid_request_error", "model", null);
    assertError(embed("{\"model\":\"tiny\"}"), 400, "invalid_request_error", "input", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":{}}"), 400, "invalid_request_error", "input", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":[]}"), 400, "invalid_request_error", "input", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":\"\"}"), 400, "invalid_request_error", "input", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":[\"a\",true]}"), 400, "invalid_request_error", "input", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":\"a\",\"encoding_format\":\"int8\"}"), 400,
        "invalid_request_error", "encoding_format", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":\"a\",\"dimensions\":\"4\"}"), 400,
        "invalid_request_error", "dimensions", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":\"a\",\"dimensions\":3}"), 400,
        "invalid_request_error", "dimensions", null);
    assertError(embed("{\"model\":\"tiny\",\"input\":\"a\",\"temperature\":1}"), 400,
        "invalid_request_error", "temperature", null);
  }

  @Test
  void tokenArraysAreRefusedClearly() throws Exception {
    String message = assertError(embed("{\"model\":\"tiny\",\"input\":[101,2003,102]}"), 400,
        "invalid_request_error", "input", null);
    assertThat(message).contains("Token arrays are not supported");
    assertError(embed("{\"model\":\"tiny\",\"input\":[[101,102]]}"), 400, "invalid_request_error", "input", null);
  }

  @Test
  void oversizedBodiesAre413() throws Exception {
    String big = "{\"model\":\"tiny\",\"input\":\"" + "x".repeat(2 * MAX_BODY) + "\"}";
    assertError(embed(big), 413, "invalid_request_error", null, "request_too_large");
    // Without a Content-Length (chunked), the limit holds on the bytes themselves.
    HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(base.resolve("/v1/embeddings"))
        .header("Authorization", "Bearer " + KEY)
        .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())))
        .build(), BodyHandlers.ofString());
    assertError(chunked, 413, "invalid_request_error", null, "request_too_large");
    // The face still serves after closing those connections.
    assertThat(send("GET", "/v1/models", null, KEY).statusCode()).isEqualTo(200);
  }

  @Test
  void busyBackendIs429() throws Exception {
    assertError(embed("{\"model\":\"busy\",\"input\":\"a\"}"), 429, "requests", null, "rate_limit_exceeded");
  }

  @Test
  void unservedModelIs503() throws Exception {
    assertError(embed("{\"model\":\"offline\",\"input\":\"a\"}"), 503, "server_error", null, "model_unavailable");
  }

  @Test
  void wrongMethodIs405() throws Exception {
    assertError(send("GET", "/v1/embeddings", null, KEY), 405, "invalid_request_error", null, "method_not_allowed");
    assertError(send("POST", "/v1/models", "{}", KEY), 405, "invalid_request_error", null, "method_not_allowed");
    assertError(send("DELETE", "/v1/models/tiny", null, KEY), 405, "invalid_request_error", null, "method_not_allowed");
  }

  @Test
  void unknownRouteIs404() throws Exception {
    assertError(send("POST", "/v1/responses", "{\"model\":\"tiny\"}", KEY), 404,
        "invalid_request_error", null, "unknown_url");
    assertError(send("GET", "/", null, null), 404, "invalid_request_error", null, "unknown_url");
    // The connection that carried a refused body still serves the next request.
    assertThat(send("GET", "/v1/models/tiny", null, KEY).statusCode()).isEqualTo(200);
  }
}
