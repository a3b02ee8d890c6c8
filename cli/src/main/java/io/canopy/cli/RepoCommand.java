package io.canopy.cli;

import io.canopy.multiformats.Cid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code canopy repo gc}: delete every block no pin keeps, as {@code ipfs repo gc}. */
@Command(name = "repo", description = "Maintain the home's block store, as `ipfs repo` does.")
final class RepoCommand extends CanopyCommand {

  @Command(name = "gc", description = "Delete unpinned blocks; print \"removed CID\" for each.")
  int gc(@Option(names = {"-q", "--quiet"}, description = "Print only the CIDs.") boolean quiet) {
    return run(() -> {
      try (NodeApi node = node()) {
        for (Cid cid : node.repoGc()) {
          println(quiet ? cid.toString() : "removed " + cid);
        }
      }
    });
  }
}
