package io.canopy.cli;

import io.canopy.content.pin.GarbageCollector;
import io.canopy.content.pin.GcResult;
import io.canopy.multiformats.Cid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code canopy repo gc}: delete every block no pin keeps, as {@code ipfs repo gc}. */
@Command(name = "repo", description = "Maintain the home's block store, as `ipfs repo` does.")
final class RepoCommand extends CanopyCommand {

  @Command(name = "gc", description = "Delete unpinned blocks; print \"removed CID\" for each.")
  int gc(@Option(names = {"-q", "--quiet"}, description = "Print only the CIDs.") boolean quiet) {
    return run(() -> {
      try (Repo repo = Repo.open(home())) {
        GcResult result = new GarbageCollector(repo.blocks(), repo.pins()).collect();
        if (!result.complete()) {
          GcResult.UnresolvedBlock first = result.unresolved().get(0);
          int more = result.unresolved().size() - 1;
          throw new CommandException("repo gc removed nothing: the DAG pinned at " + first.pin()
              + " cannot be walked (block " + first.block() + ": " + first.reason() + ")"
              + (more > 0 ? " and " + more + " more such block" + (more > 1 ? "s" : "") : ""));
        }
        for (Cid cid : result.removed()) {
          println(quiet ? cid.toString() : "removed " + cid);
        }
      }
    });
  }
}
