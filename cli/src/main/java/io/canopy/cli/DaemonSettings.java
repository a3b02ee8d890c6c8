package io.canopy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The daemon's settings file: a JSON object whose keys are {@code canopy daemon}'s long options
 * without the dashes ({@code {"roles": ["storage"], "storage-max": "500GB", "bootstrap": […]}}),
 * so every setting is documented once, by {@code canopy daemon --help}. An option given on the
 * command line wins over the file; an unknown key or a value of the wrong kind is an error naming
 * the key, never silently ignored.
 */
final class DaemonSettings {
  /** The settings file a home uses when {@code --config} does not name another. */
  static final String FILE_NAME = "daemon.json";
  /** Settings files are small; anything larger is not one. */
  static final long MAX_SIZE = 256 * 1024;

  private DaemonSettings() {}

  /** Sets every option of {@code spec} that the file has and the command line does not. */
  static void apply(CommandSpec spec, Path file) {
    JsonNode root = read(file);
    ParseResult parsed = spec.commandLine().getParseResult();
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String key = field.getKey();
      OptionSpec option = key.equals("config") ? null : spec.findOption("--" + key);
      if (option == null) {
        TreeSet<String> known = new TreeSet<>();
        spec.options().forEach(o -> known.add(o.longestName().replaceFirst("^--", "")));
        known.remove("config");
        known.remove("help");
        throw new CommandException(file + ": unknown setting '" + key + "'; the settings are canopy daemon's options: "
            + String.join(", ", known));
      }
      if (!parsed.hasMatchedOption(option)) {
        option.setValue(value(option, field.getValue(), file, key));
      }
    }
  }

  private static JsonNode read(Path file) {
    try {
      if (Files.size(file) > MAX_SIZE) {
        throw new CommandException(file + ": a settings file of " + Files.size(file) + " bytes; at most " + MAX_SIZE);
      }
      JsonNode root = HomeConfig.JSON.readTree(file.toFile());
      if (root == null || !root.isObject()) {
        throw new CommandException(file + ": expected a JSON object of settings, e.g. {\"roles\": [\"storage\"]}");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw new CommandException(file + ": not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CommandException("cannot read the settings file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The value as the option's field holds it: a list of texts, a number, a boolean or a text. */
  private static Object value(OptionSpec option, JsonNode v, Path file, String key) {
    Class<?> type = option.type();
    String where = file + ": '" + key + "'";
    if (List.class.isAssignableFrom(type)) {
      List<String> items = new ArrayList<>();
      if (v.isArray()) {
        for (JsonNode item : v) {
          if (!item.isValueNode() || item.isNull()) {
            throw new CommandException(where + " must be a list of texts");
          }
          items.add(item.asText());
        }
      } else if (v.isTextual()) {
        String split = option.splitRegex();
        items.addAll(split.isEmpty() ? List.of(v.asText()) : List.of(v.asText().split(split)));
      } else {
        throw new CommandException(where + " must be a list (or one text)");
      }
      return items;
    }
    if (type == int.class || type == Integer.class) {
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new CommandException(where + " must be a whole number");
      }
      return v.intValue();
    }
    if (type == long.class || type == Long.class) {
      if (!v.canConvertToLong() || !v.isIntegralNumber()) {
        throw new CommandException(where + " must be a whole number");
      }
      return v.longValue();
    }
    if (type == boolean.class || type == Boolean.class) {
      if (!v.isBoolean()) {
        throw new CommandException(where + " must be true or false");
      }
      return v.booleanValue();
    }
    if (type == String.class && (v.isTextual() || v.isNumber())) {
      return v.asText();
    }
    throw new CommandException(where + " must be a text");
  }
}
