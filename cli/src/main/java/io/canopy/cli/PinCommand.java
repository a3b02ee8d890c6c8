package io.canopy.cli;

import io.canopy.content.exporter.Exporter;
import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinType;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code canopy pin add|rm|ls}: keep DAGs from garbage collection, as {@code ipfs pin}. */
@Command(name = "pin", description = "Pin DAGs so that repo gc keeps them, as `ipfs pin` does.")
final class PinCommand extends CanopyCommand {

  @Command(name = "add", description = "Pin DAGs (recursively by default).")
  int add(
      @Parameters(paramLabel = "CID[/PATH]", arity = "1..*") List<String> paths,
      @Option(names = {"-r", "--recursive"}, arity = "0..1", fallbackValue = "true", defaultValue = "true",
          paramLabel = "BOOL", description = "Pin the whole DAG (default true); false pins the block alone.")
          boolean recursive) {
    return run(() -> {
      try (Repo repo = Repo.open(home())) {
        Exporter exporter = new Exporter(repo.blocks());
        for (String path : paths) {
          Cid cid = resolve(exporter, path);
          if (recursive) {
            repo.pins().pinRecursive(cid);
          } else {
            repo.pins().pinDirect(cid);
          }
          println("pinned " + cid + (recursive ? " recursively" : " directly"));
        }
      }
    });
  }

  @Command(name = "rm", description = "Remove pins.")
  int rm(@Parameters(paramLabel = "CID[/PATH]", arity = "1..*") List<String> paths) {
    return run(() -> {
      try (Repo repo = Repo.open(home())) {
        Exporter exporter = new Exporter(repo.blocks());
        for (String path : paths) {
          Cid cid = resolve(exporter, path);
          repo.pins().unpin(cid);
          println("unpinned " + cid);
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
      try (Repo repo = Repo.open(home())) {
        if (paths == null || paths.isEmpty()) {
          for (Pin pin : repo.pins().list(type)) {
            print(pin, quiet);
          }
          return;
        }
        Exporter exporter = new Exporter(repo.blocks());
        for (String path : paths) {
          Cid cid = resolve(exporter, path);
          Optional<PinType> pinned = repo.pins().pinType(cid);
          if (pinned.isEmpty() || (type != PinType.ALL && pinned.get() != type)) {
            throw new CommandException("path '" + path + "' is not pinned"
                + (type != PinType.ALL ? " as " + name(type) : ""));
          }
          print(new Pin(cid, pinned.get()), quiet);
        }
      }
    });
  }

  private void print(Pin pin, boolean quiet) {
    println(quiet ? pin.cid().toString() : pin.cid() + " " + name(pin.type()));
  }

  /** A bare CID is taken as is (it need not be UnixFS); a path is resolved through UnixFS folders. */
  static Cid resolve(Exporter exporter, String path) throws IOException {
    if (path.indexOf('/') < 0) {
      return Cid.parse(path);
    }
    return exporter.resolve(path).cid();
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
