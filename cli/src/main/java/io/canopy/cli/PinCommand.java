package io.canopy.cli;

import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinType;
import io.canopy.multiformats.Cid;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code canopy pin add|rm|ls}: keep DAGs from garbage collection, as {@code ipfs pin}. */
@Command(name = "pin", description = "Pin DAGs so that repo gc keeps them, as `ipfs pin` does.")
final class PinCommand extends CanopyCommand {

  @Command(name = "add", description = "Pin DAGs (recursively by default); with a daemon, what is missing is fetched from peers.")
  int add(
      @Parameters(paramLabel = "CID[/PATH]", arity = "1..*") List<String> paths,
      @Option(names = {"-r", "--recursive"}, arity = "0..1", fallbackValue = "true", defaultValue = "true",
          paramLabel = "BOOL", description = "Pin the whole DAG (default true); false pins the block alone.")
          boolean recursive) {
    return run(() -> {
      try (NodeApi node = node()) {
        for (String path : paths) {
          Cid cid = node.pinAdd(path, recursive);
          println("pinned " + cid + (recursive ? " recursively" : " directly"));
        }
      }
    });
  }

  @Command(name = "rm", description = "Remove pins.")
  int rm(@Parameters(paramLabel = "CID[/PATH]", arity = "1..*") List<String> paths) {
    return run(() -> {
      try (NodeApi node = node()) {
        for (String path : paths) {
          println("unpinned " + node.pinRm(path));
        }
      }
    });
  }

  @Command(name = "ls", description = "List pins as \"CID TYPE\" lines.")
  int ls(
      @Parameters(paramLabel = "CID[/PATH]", arity = "0..*", description = "Show only these (default: every pin).")
          List<String> paths,
      @Option(names = {"-t", "--type"}, paramLabel = "TYPE", defaultValue = "all",
          description = "recursive, direct, indirect or all (default).")
          String typeName,
      @Option(names = {"-q", "--quiet"}, description = "Print only the CIDs.") boolean quiet) {
    return run(() -> {
      PinType type = pinType(typeName);
      try (NodeApi node = node()) {
        if (paths == null || paths.isEmpty()) {
          for (Pin pin : node.pinLs(type)) {
            print(pin, quiet);
          }
          return;
        }
        for (String path : paths) {
          print(node.pinLs(path, type), quiet);
        }
      }
    });
  }

  private void print(Pin pin, boolean quiet) {
    println(quiet ? pin.cid().toString() : pin.cid() + " " + name(pin.type()));
  }

  private static PinType pinType(String name) {
    for (PinType t : PinType.values()) {
      if (name(t).equals(name)) {
        return t;
      }
    }
    throw new CommandException("invalid --type '" + name + "': use recursive, direct, indirect or all");
  }

  private static String name(PinType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }
}
