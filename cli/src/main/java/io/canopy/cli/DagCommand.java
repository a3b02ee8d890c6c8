package io.canopy.cli;

import io.canopy.content.car.CarExporter;
import io.canopy.content.car.CarImportResult;
import io.canopy.content.car.CarImporter;
import io.canopy.content.pin.PinException;
import io.canopy.multiformats.Cid;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy dag export|import}: whole DAGs as CARv1 files, as {@code ipfs dag}. Import verifies
 * every block against its CID, then pins the roots named in the CARs' headers and prints Kubo's
 * "Pinned root\tCID\tsuccess" line for each.
 */
@Command(name = "dag", description = "Move whole DAGs in and out as CAR files, as `ipfs dag` does.")
final class DagCommand extends CanopyCommand {

  @Command(name = "export", description = "Write the DAG under a CID to stdout as a CARv1.")
  int export(@Parameters(paramLabel = "CID") String rootText) {
    return run(() -> {
      Cid root = Cid.parse(rootText);
      try (Repo repo = Repo.open(home())) {
        if (!repo.blocks().has(root)) {
          // Fail before the CAR header is written, so that stdout gets no half CAR.
          throw new io.canopy.content.block.BlockNotFoundException(root);
        }
        new CarExporter(repo.blocks()).export(root, out());
      }
    });
  }

  @Command(name = "import", description = "Store the blocks of CAR files (or stdin) and pin their roots.")
  int importCars(
      @Parameters(paramLabel = "FILE", arity = "0..*", description = "CAR files; stdin when none.") List<Path> files,
      @Option(names = "--pin-roots", arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "BOOL",
          description = "Pin the roots named in the CAR headers (default true).")
          boolean pinRoots,
      @Option(names = "--stats", description = "Print how many blocks were imported.") boolean stats) {
    return run(() -> {
      try (Repo repo = Repo.open(home())) {
        CarImporter importer = new CarImporter(repo.blocks());
        Set<Cid> roots = new LinkedHashSet<>();
        long blocks = 0;
        if (files == null || files.isEmpty()) {
          CarImportResult r = importOne(importer, env().stdin(), "stdin");
          roots.addAll(r.roots());
          blocks += r.blockCount();
        } else {
          for (Path f : files) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(env().resolve(f)))) {
              CarImportResult r = importOne(importer, in, f.toString());
              roots.addAll(r.roots());
              blocks += r.blockCount();
            }
          }
        }
        if (pinRoots) {
          for (Cid root : roots) {
            try {
              repo.pins().pinRecursive(root);
            } catch (PinException e) {
              throw new CommandException("pinning root " + root + " FAILED: " + e.getMessage(), e);
            }
            println("Pinned root\t" + root + "\tsuccess");
          }
        }
        if (stats) {
          println("Imported " + blocks + " blocks");
        }
      }
    });
  }

  private static CarImportResult importOne(CarImporter importer, InputStream in, String source) {
    try {
      return importer.importCar(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandException("cannot import " + source + ": " + ErrorReport.describe(e), e);
    }
  }
}
