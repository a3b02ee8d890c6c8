package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.Gateway.OpenAiFace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/chat/completions} and {@code /v1/completions} over raw HTTP, backed by the real llama
 * engine ({@link LlamaTestBackend}): the exact shapes of replies and of Server-Sent Events, and
 * every refusal with its status and the parameter it names.
 */
class OpenAiGenerationErrorsTest {
  private static final String KEY = "sk-canopy-test-key-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = LlamaTestBackend.MODEL;
  private static final String USER = "{\"role\":\"user\",\"content\":\"What grows in a forest canopy?\"}";

  private static LlamaTestBackend backend;
  private static Gateway gateway;
  private static URI base;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    backend = LlamaTestBackend.load();
    gateway = Gateway.start(null, null, null, new OpenAiFace(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), backend, ApiKeys.of(Map.of(KEY, "alice"))));
    base = gateway.urls().get("openai");
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private static HttpResponse<String> post(String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private static HttpResponse<String> chat(String body) throws Exception {
    return post("/v1/chat/completions", body, KEY);
  }

  private static HttpResponse<String> complete(String body) throws Exception {
    return post("/v1/completions", body, KEY);
  }

  /** A chat request for the tiny model with {@code extra} fields (",\"n\":2"). */
  private static String chatBody(String extra) {
    return "{\"model\":\"" + MODEL + "\",\"messages\":[" + USER + "],\"max_tokens\":4" + extra + "}";
  }

  private static String completionBody(String extra) {
    return "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":4" + extra + "}";
  }

  /** Checks status, OpenAI's error shape, type, param and code; returns the message. */
  static String assertError(HttpResponse<String> res, int status, String param, String code) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode error = JSON.readTree(res.body()).get("error");
    assertThat(fieldNames(error)).containsExactly("message", "type", "param", "code");
    assertThat(error.get("param").isNull() ? null : error.get("param").textValue()).as(res.body()).isEqualTo(param);
    assertThat(error.get("code").isNull() ? null : error.get("code").textValue()).isEqualTo(code);
    return error.get("message").textValue();
  }

  private static void assertInvalid(HttpResponse<String> res, String param) throws Exception {
    assertError(res, 400, param, null);
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  @Test
  void chatReplyHasOpenAisShape() throws Exception {
    HttpResponse<String> res = chat(chatBody(""));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(res.headers().firstValue(OpenAiHandler.REQUEST_ID_HEADER)).isPresent();
    JsonNode root = JSON.readTree(res.body());
    assertThat(fieldNames(root)).containsExactlyInAnyOrder(
        "id", "object", "created", "model", "choices", "usage", "system_fingerprint");
    assertThat(root.get("object").textValue()).isEqualTo("chat.completion");
    assertThat(root.get("system_fingerprint").isNull()).isTrue();
    JsonNode choice = root.at("/choices/0");
    assertThat(root.get("choices").size()).isEqualTo(1);
    assertThat(fieldNames(choice)).containsExactlyInAnyOrder("index", "message", "logprobs", "finish_reason");
    assertThat(fieldNames(choice.get("message"))).containsExactlyInAnyOrder("role", "content", "refusal");
    assertThat(choice.at("/message/role").textValue()).isEqualTo("assistant");
    assertThat(choice.at("/message/refusal").isNull()).isTrue();
    assertThat(choice.get("logprobs").isNull()).isTrue();
    assertThat(choice.get("finish_reason").textValue()).isEqualTo("length"); // 4 tokens of a model that rarely stops
    assertThat(fieldNames(root.get("usage"))).containsExactlyInAnyOrder(
        "prompt_tokens", "completion_tokens", "total_tokens");
    assertThat(root.at("/usage/completion_tokens").intValue()).isEqualTo(4);
  }

  @Test
  void completionReplyHasOpenAisShape() throws Exception {
    HttpResponse<String> res = complete(completionBody(",\"temperature\":0"));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    JsonNode root = JSON.readTree(res.body());
    assertThat(fieldNames(root)).containsExactlyInAnyOrder("id", "object", "created", "model", "choices", "usage");
    assertThat(root.get("object").textValue()).isEqualTo("text_completion");
    assertThat(root.get("id").textValue()).startsWith("cmpl-");
    assertThat(fieldNames(root.at("/choices/0"))).containsExactlyInAnyOrder("text", "index", "logprobs", "finish_reason");
    // A prompt given as an array of one string is the same prompt (greedy, so the same text).
    HttpResponse<String> asArray = complete(completionBody(",\"temperature\":0").replace("\"Once upon a time\"", "[\"Once upon a time\"]"));
    assertThat(JSON.readTree(asArray.body()).at("/choices/0/text")).isEqualTo(root.at("/choices/0/text"));
  }

  @Test
  void streamsAreServerSentEventsEndingWithDone() throws Exception {
    HttpResponse<String> res = chat(chatBody(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    assertThat(res.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(res.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
    assertThat(res.headers().firstValue(OpenAiHandler.REQUEST_ID_HEADER)).isPresent();
    String body = res.body();
    assertThat(body).endsWith("\n\ndata: [DONE]\n\n");
    List<String> events = Arrays.asList(body.substring(0, body.length() - 2).split("\n\n", -1));
    assertThat(events).allSatisfy(e -> assertThat(e).startsWith("data: ").doesNotContain("\n"));
    List<JsonNode> chunks = new ArrayList<>();
    for (String e : events.subList(0, events.size() - 1)) {
      chunks.add(JSON.readTree(e.substring("data: ".length())));
    }
    // role, 1..4 pieces of text, finish, usage
    assertThat(chunks.size()).isBetween(4, 7);
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.get("object").textValue()).isEqualTo("chat.completion.chunk");
      assertThat(c.get("id")).isEqualTo(chunks.get(0).get("id"));
      assertThat(c.has("usage")).isTrue();
    });
    assertThat(chunks.get(0).at("/choices/0/delta")).isEqualTo(JSON.readTree("{\"role\":\"assistant\",\"content\":\"\"}"));
    JsonNode finish = chunks.get(chunks.size() - 2);
    assertThat(finish.at("/choices/0/delta")).isEqualTo(JSON.readTree("{}"));
    assertThat(finish.at("/choices/0/finish_reason").textValue()).isEqualTo("length");
    assertThat(finish.get("usage").isNull()).isTrue();
    JsonNode usage = chunks.get(chunks.size() - 1);
    assertThat(usage.get("choices").isEmpty()).isTrue();
    assertThat(usage.at("/usage/completion_tokens").intValue()).isEqualTo(4);

    // Completions stream the same way, as text_completion chunks.
    res = complete(completionBody(",\"stream\":true"));
    assertThat(res.body()).startsWith("data: {").endsWith("\n\ndata: [DONE]\n\n");
    JsonNode first = JSON.readTree(res.body().substring("data: ".length(), res.body().indexOf("\n\n")));
    assertThat(first.get("object").textValue()).isEqualTo("text_completion");
    assertThat(first.has("usage")).isFalse();
    assertThat(fieldNames(first.at("/choices/0"))).containsExactlyInAnyOrder("text", "index", "logprobs", "finish_reason");
  }

  @Test
  void contentPartsAreConcatenated() throws Exception {
    // Greedy: without a temperature, OpenAI's default of 1 samples with a random seed.
    String parts = chatBody(",\"temperature\":0").replace(USER, "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What grows in \"},"
        + "{\"type\":\"text\",\"text\":\"a forest canopy?\"}]}");
    JsonNode asParts = JSON.readTree(chat(parts).body());
    JsonNode asString = JSON.readTree(chat(chatBody(",\"temperature\":0")).body());
    assertThat(asParts.at("/choices/0/message/content").textValue()).isNotEmpty()
        .isEqualTo(asString.at("/choices/0/message/content").textValue());
    assertThat(asParts.at("/usage")).isEqualTo(asString.at("/usage"));
  }

  @Test
  void unknownFieldsAndNeutralValuesAreAccepted() throws Exception {
    String extras = ",\"store\":false,\"metadata\":{\"k\":\"v\"},\"parallel_tool_calls\":false,\"user\":\"u1\",\"n\":1,"
        + "\"presence_penalty\":0,\"frequency_penalty\":0.0,\"logprobs\":false,\"logit_bias\":{},"
        + "\"response_format\":{\"type\":\"text\"},\"top_k\":40,\"top_p\":0.9,\"temperature\":0,\"seed\":7,"
        + "\"stop\":[\"\\n\\n\"],\"max_completion_tokens\":3,\"tool_choice\":\"none\"";
    HttpResponse<String> res = chat(chatBody(extras));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(JSON.readTree(res.body()).at("/usage/completion_tokens").intValue()).isLessThanOrEqualTo(3);
  }

  @Test
  void malformedJsonIs400() throws Exception {
    assertInvalid(chat("{not json"), null);
    assertInvalid(chat(""), null);
    assertInvalid(chat("[1,2]"), null);
    assertInvalid(complete("{\"model\":\"" + MODEL + "\","), null);
  }

  @Test
  void wrongTypesAre400NamingTheParameter() throws Exception {
    assertInvalid(chat("{\"model\":7,\"messages\":[" + USER + "]}"), "model");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":\"hi\"}"), "messages");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[\"hi\"]}"), "messages[0]");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":5}]}"),
        "messages[0].content");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":7,\"content\":\"hi\"}]}"),
        "messages[0].role");
    assertInvalid(chat(chatBody(",\"temperature\":\"hot\"")), "temperature");
    assertInvalid(chat(chatBody(",\"max_completion_tokens\":1.5")), "max_completion_tokens");
    assertInvalid(chat(chatBody(",\"stream\":\"yes\"")), "stream");
    assertInvalid(chat(chatBody(",\"stream\":true,\"stream_options\":{\"include_usage\":1}")),
        "stream_options.include_usage");
    assertInvalid(chat(chatBody(",\"stop\":5")), "stop");
    assertInvalid(chat(chatBody(",\"seed\":\"1\"")), "seed");
    assertInvalid(chat(chatBody(",\"top_k\":1.5")), "top_k");
    assertInvalid(chat(chatBody(",\"user\":5")), "user");
    assertInvalid(complete(completionBody(",\"prompt\":5").replace("\"prompt\":\"Once upon a time\",", "")), "prompt");
  }

  @Test
  void missingAndOutOfRangeValuesAre400() throws Exception {
    assertInvalid(chat("{\"messages\":[" + USER + "]}"), "model");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\"}"), "messages");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[]}"), "messages");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\"}]}"), "messages[0].content");
    assertInvalid(chat("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}"),
        "messages[0].role");
    assertInvalid(complete("{\"model\":\"" + MODEL + "\"}"), "prompt");
    assertInvalid(chat(chatBody(",\"temperature\":2.5")), "temperature");
    assertInvalid(chat(chatBody(",\"temperature\":-0.1")), "temperature");
    assertInvalid(chat(chatBody(",\"top_p\":0")), "top_p");
    assertInvalid(chat(chatBody(",\"top_p\":1.1")), "top_p");
    assertInvalid(chat(chatBody(",\"top_k\":-1")), "top_k");
    assertInvalid(chat(chatBody(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")), "stop");
    assertInvalid(chat(chatBody(",\"stop\":\"\"")), "stop");
    assertInvalid(chat(chatBody(",\"stop\":\"" + "x".repeat(65) + "\"")), "stop");
    assertInvalid(chat(chatBody(",\"stream_options\":{\"include_usage\":true}")), "stream_options");
  }

  @Test
  void maxTokensBelowOneOrAboveTheLimitIs400() throws Exception {
    String message = assertError(chat(chatBody(",\"max_tokens\":0").replace("\"max_tokens\":4,", "")), 400,
        "max_tokens", null);
    assertThat(message).contains("max_tokens");
    assertInvalid(chat(chatBody(",\"max_completion_tokens\":-3")), "max_completion_tokens");
    assertInvalid(complete(completionBody("").replace("\"max_tokens\":4", "\"max_tokens\":0")), "max_tokens");
    assertInvalid(complete(completionBody("").replace("\"max_tokens\":4",
        "\"max_tokens\":" + (io.canopy.protocol.compute.Params.MAX_TOKENS_LIMIT + 1))), "max_tokens");
  }

  @Test
  void moreThanOneChoiceIs400() throws Exception {
    assertInvalid(chat(chatBody(",\"n\":2")), "n");
    assertInvalid(complete(completionBody(",\"n\":3")), "n");
    assertInvalid(complete(completionBody(",\"best_of\":2")), "best_of");
  }

  @Test
  void unsupportedFeaturesAre400NamingThem() throws Exception {
    String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]";
    assertThat(assertError(chat(chatBody(tools)), 400, "tools", null)).contains("not supported");
    assertInvalid(chat(chatBody(",\"tool_choice\":\"auto\"")), "tool_choice");
    assertInvalid(chat(chatBody(",\"functions\":[{\"name\":\"f\"}]")), "functions");
    assertInvalid(chat(chatBody(",\"logprobs\":true")), "logprobs");
    assertInvalid(chat(chatBody(",\"top_logprobs\":2")), "top_logprobs");
    assertThat(assertError(chat(chatBody(",\"presence_penalty\":0.5")), 400, "presence_penalty", null))
        .contains("not supported");
    assertInvalid(chat(chatBody(",\"frequency_penalty\":-1")), "frequency_penalty");
    assertInvalid(chat(chatBody(",\"response_format\":{\"type\":\"json_object\"}")), "response_format");
    assertInvalid(chat(chatBody(",\"logit_bias\":{\"50256\":-100}")), "logit_bias");
    String image = "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is this?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}";
    assertThat(assertError(chat(chatBody("").replace(USER, image)), 400, "messages[0].content[1].type", null))
        .contains("image_url");
    String toolTurn = USER + ",{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"42\"}";
    assertInvalid(chat(chatBody("").replace(USER, toolTurn)), "messages[1].role");
    assertThat(assertError(complete(completionBody("").replace("\"Once upon a time\"", "[1,2,3]")), 400, "prompt",
        null)).contains("not supported");
    assertInvalid(complete(completionBody("").replace("\"Once upon a time\"", "[\"a\",\"b\"]")), "prompt");
    assertInvalid(complete(completionBody(",\"echo\":true")), "echo");
    assertInvalid(complete(completionBody(",\"suffix\":\"end\"")), "suffix");
    assertInvalid(complete(completionBody(",\"logprobs\":2")), "logprobs");
  }

  @Test
  void unknownModelOrOneThatCannotGenerateIs404() throws Exception {
    assertError(chat(chatBody("").replace(MODEL, "nope")), 404, "model", "model_not_found");
    assertError(complete(completionBody("").replace(MODEL, "nope")), 404, "model", "model_not_found");
    assertError(chat(chatBody("").replace(MODEL, LlamaTestBackend.EMBEDDING_ONLY)), 404, "model", "model_not_found");
    assertError(complete(completionBody(",\"stream\":true").replace(MODEL, LlamaTestBackend.EMBEDDING_ONLY)), 404,
        "model", "model_not_found");
  }

  @Test
  void missingOrWrongKeyIs401() throws Exception {
    assertError(post("/v1/chat/completions", chatBody(",\"stream\":true"), null), 401, null, "invalid_api_key");
    assertError(post("/v1/completions", completionBody(""), "sk-wrong-0123456789"), 401, null, "invalid_api_key");
  }

  @Test
  void aPromptLongerThanTheContextIs400EvenWhenStreaming() throws Exception {
    String words = "forest" + " forest".repeat(backend.model().config().contextLength());
    String longChat = chatBody(",\"stream\":true").replace("What grows in a forest canopy?", words);
    String message = assertError(chat(longChat), 400, "messages", null);
    assertThat(message).contains("context");
  }

  @Test
  void wrongMethodIs405() throws Exception {
    HttpResponse<String> res = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
        .header("Authorization", "Bearer " + KEY).GET().build(), BodyHandlers.ofString());
    assertError(res, 405, null, "method_not_allowed");
  }
}
