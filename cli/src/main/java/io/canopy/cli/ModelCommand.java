package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.cli.rpc.RpcClient.Query;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy model add|ls}: models are content. {@code add} checks a GGUF file and stores it
 * like {@code canopy add} (same CID, pinned, announced by a running daemon), so that any compute
 * node can serve it with {@code --model NAME=CID}; {@code ls} shows what this node's compute role
 * serves.
 */
@Command(name = "model", description = "Add a model to the network, or list the models this node serves.")
final class ModelCommand extends CanopyCommand {
  static final List<String> TASKS = List.of("chat", "completion", "embedding");

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print one JSON line instead of text.")
  boolean json;

  @Command(name = "add", description = "Store a GGUF model file as content and print its CID (serve it with --model NAME=CID).")
  int add(
      @Parameters(paramLabel = "FILE") Path file,
      @Option(names = "--name", paramLabel = "NAME", required = true, description = "The name clients ask for (OpenAI's model id).")
      String name,
      @Option(names = "--task", paramLabel = "TASK", defaultValue = "chat",
          description = "chat or completion (a GGUF serves both; default ${DEFAULT-VALUE}).") String task) {
    return run(() -> {
      String t = task.toLowerCase(Locale.ROOT);
      if (!TASKS.contains(t)) {
        throw new CommandException("--task '" + task + "': expected one of " + String.join(", ", TASKS));
      }
      if (t.equals("embedding")) {
        throw new CommandException("--task embedding: compute nodes serve the bundled all-MiniLM-L6-v2 for embeddings; "
            + "other embedding models are not supported yet");
      }
      ComputeService.ModelSpec.parse(name + "=" + file); // the same name rules as --model
      if (!Files.isRegularFile(file)) {
        throw new CommandException(file + ": no such file");
      }
      try (LlamaModel model = LlamaModel.load(file, 1)) { // a corrupt or foreign file is refused before it is stored
        if (!json) {
          println("checked " + file.getFileName() + ": llama, " + model.config().contextLength() + " tokens of context");
        }
      } catch (IOException | RuntimeException e) {
        throw new CommandException(file + ": not a model the built-in engine can load: " + e.getMessage(), e);
      }
      ImportResult result;
      try (NodeApi node = node(); NodeApi.BlockImport blocks = node.importBlocks(NodeApi.ImportKind.ADD);
           InputStream in = Files.newInputStream(file)) {
        result = new Importer(blocks::put, ImportOptions.defaults()).importFile(in);
        NodeApi.PinResult pinned = blocks.finish(List.of(result.cid()));
        if (pinned.failed()) {
          throw new CommandException("cannot pin " + result.cid() + ": " + pinned.failure());
        }
      }
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cid", result.cid().toString());
        out.put("name", name);
        out.put("task", t);
        out.put("size", result.fileSize());
        println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
      } else {
        println("added model " + name + " (" + t + ") " + result.cid());
        println("serve it with: canopy daemon --roles compute --model " + name + "=" + result.cid());
      }
    });
  }

  @Command(name = "ls", description = "List the models this node's compute role serves, is loading, or could not load.")
  int ls() {
    return run(() -> {
      try (HttpNodeApi node = daemon()) {
        JsonNode models = node.call("model/ls", new Query());
        if (json) {
          println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(models));
          return;
        }
        for (JsonNode m : models.path("Models")) {
          String detail = m.path("State").asText().equals("failed") ? m.path("Error").asText()
              : String.join(",", HomeConfig.JSON.convertValue(m.path("Tasks"), String[].class)) + "  " + m.path("Cid").asText("");
          println(m.path("Name").asText() + "  " + m.path("State").asText() + "  " + detail);
        }
      }
    });
  }
}
