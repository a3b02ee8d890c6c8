package io.canopy.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy cat}: writes files' bytes to stdout, as {@code ipfs cat}. With several paths the
 * files are concatenated and {@code --offset}/{@code --length} apply to the concatenation.
 */
@Command(name = "cat", description = "Write the bytes of files to stdout, as `ipfs cat` does.")
final class CatCommand extends CanopyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "CID[/PATH]", arity = "1..*", description = "Files to show (CID, CID/path or /ipfs/CID/path).")
  List<String> paths = new ArrayList<>();

  @Option(names = {"-o", "--offset"}, paramLabel = "N", description = "Start at this byte.")
  long offset;

  @Option(names = {"-l", "--length"}, paramLabel = "N", description = "Write at most this many bytes.")
  Long length;

  @Override
  public Integer call() {
    return run(() -> {
      if (offset < 0) {
        throw new CommandException("--offset must not be negative, got " + offset);
      }
      if (length != null && length < 0) {
        throw new CommandException("--length must not be negative, got " + length);
      }
      try (NodeApi node = node()) {
        node.cat(paths, offset, length != null ? length : -1, out());
      }
    });
  }
}
