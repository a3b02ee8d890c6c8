package io.canopy.cli;

import io.canopy.content.exporter.Exporter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy get}: writes a file or folder tree to disk, as {@code ipfs get}; by default into
 * the working folder under the last path segment (or the CID).
 */
@Command(name = "get", description = "Save a file or folder to disk, as `ipfs get` does.")
final class GetCommand extends CanopyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "CID[/PATH]", description = "What to save (CID, CID/path or /ipfs/CID/path).")
  String path;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Where to save it (default: ./NAME).")
  Path output;

  @Override
  public Integer call() {
    return run(() -> {
      try (NodeApi node = node()) {
        Exporter exporter = node.exporter();
        Exporter.Resolved resolved = exporter.resolve(path);
        Path target = env().resolve(output != null ? output : Path.of(defaultName(path)));
        println("Saving file(s) to " + target);
        exporter.get(resolved.cid(), target);
      }
    });
  }

  /** The last non-empty segment of the path: {@code CID/a/b.txt} gives {@code b.txt}. */
  static String defaultName(String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      if (!parts[i].isEmpty() && !(i == 1 && parts[0].isEmpty() && parts[1].equals("ipfs"))) {
        return parts[i];
      }
    }
    throw new CommandException("cannot name the output of '" + path + "': give -o OUT");
  }
}
