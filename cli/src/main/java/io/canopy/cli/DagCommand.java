package io.canopy.cli;

import io.canopy.content.car.CarImportResult;
import io.canopy.content.car.CarImporter;
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
      try (NodeApi node = node()) {
        node.dagExport(root, out());
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
      try (NodeApi node = node(); NodeApi.BlockImport in = node.importBlocks(NodeApi.ImportKind.DAG_IMPORT)) {
        CarImporter importer = new CarImporter(in.asBlockstore());
        Set<Cid> roots = new LinkedHashSet<>();
        long blocks = 0;
        if (files == null || files.isEmpty()) {
          CarImportResult r = importOne(importer, env().stdin(), "stdin");
          roots.addAll(r.roots());
          blocks += r.blockCount();
        } else {
          for (Path f : files) {
            try (InputStream in2 = new BufferedInputStream(Files.newInputStream(env().resolve(f)))) {
              CarImportResult r = importOne(importer, in2, f.toString());
              roots.addAll(r.roots());
              blocks += r.blockCount();
            }
          }
        }
        NodeApi.PinResult pinned = in.finish(pinRoots ? List.copyOf(roots) : List.of());
        for (Cid root : pinned.pinned()) {
          println("Pinned root\t" + root + "\tsuccess");
        }
        if (pinned.failed()) {
          throw new CommandException("pinning root " + pinned.failedRoot() + " FAILED: " + pinned.failure());
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
