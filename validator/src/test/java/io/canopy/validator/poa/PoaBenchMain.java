package io.canopy.validator.poa;

import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.DeadlineRule;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import io.canopy.storage.poa.PoaProver;
import io.canopy.storage.poa.ProofVerifier;
import io.canopy.validator.poa.PoaFixtures.Dag;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Proof-of-access benchmark (not a test): for a 64 MiB file imported with Kubo's defaults
 * (256 KiB chunks, balanced, 174 links) and k = 20, the proof's size on the wire, the prover's
 * time from an in-memory blockstore, and the verifier's time per proof, over many beacons. The
 * baseline, measured in the same loop: plain {@code MessageDigest} SHA-256 over the same proof's
 * block bytes (what the verifier re-hashes), one digest per block, so {@code verify_over_sha256}
 * is the verifier's cost beyond hashing. Medians. Prints one JSON object. Run: {@code mvn -pl validator test-compile exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=io.canopy.validator.poa.PoaBenchMain} or with
 * {@code java -cp} on the test classpath. Args: [iterations=300] [fileMiB=64].
 */
public final class PoaBenchMain {
  private PoaBenchMain() {}

  private static volatile int blackhole;

  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    long fileBytes = (args.length > 1 ? Long.parseLong(args[1]) : 64) * 1024 * 1024;
    StringBuilder json = new StringBuilder("{\"bench\":\"poa\",\"k\":" + ChallengeDerivation.DEFAULT_DRAWS + ",\"fileBytes\":" + fileBytes
        + ",\"iterations\":" + iterations + ",\"layouts\":[");
    json.append(run("raw-leaves-cidv1", fileBytes, true, iterations)).append(',');
    json.append(run("dag-pb-leaves-cidv0", fileBytes, false, iterations));
    json.append("]}");
    System.out.println(json);
  }

  private static String run(String name, long fileBytes, boolean rawLeaves, int iterations) throws Exception {
    byte[] seed = new byte[32];
    Ed25519PrivateKey validator = Ed25519PrivateKey.fromSeed(seed);
    Arrays.fill(seed, (byte) 1);
    Ed25519PrivateKey node = Ed25519PrivateKey.fromSeed(seed);
    Dag dag = PoaFixtures.file(new MemoryBlockstore(), fileBytes, 262_144, rawLeaves, 99);
    PoaProver prover = new PoaProver(node.peerId(), dag.store(), id -> Optional.of(dag.root()), new EpochClock(0, Long.MAX_VALUE / 4),
        Clock.systemUTC(), p -> true);
    long[] proofBytes = new long[iterations];
    long[] blocks = new long[iterations];
    long[] verifyNanos = new long[iterations];
    long[] proveNanos = new long[iterations];
    long[] shaNanos = new long[iterations];
    long[] hashedBytes = new long[iterations];
    for (int warm = -Math.min(50, iterations); warm < iterations; warm++) {
      int i = Math.max(0, warm);
      long[] offsets = ChallengeDerivation.offsets(PoaFixtures.beacon(1_000 + warm), "deal", node.peerId(), dag.fileSize(),
          ChallengeDerivation.DEFAULT_DRAWS);
      Challenge c = Challenge.sign(validator, 0, "deal", dag.root(), node.peerId(), dag.fileSize(), offsets, 1, 100_000);
      long t0 = System.nanoTime();
      PoaMessage reply = prover.answer(validator.peerId(), c);
      long t1 = System.nanoTime();
      byte[] wire = PoaCodec.encode(reply);
      Proof proof = ((PoaMessage.ProofReply) reply).proof();
      byte[] proofBytesOnWire = proof.encode();
      // Alternate which of the two goes first, so neither always finds the bytes in cache.
      if ((warm & 1) == 0) {
        shaNanos[i] = sha256(proof, hashedBytes, i);
      }
      long t2 = System.nanoTime();
      // What a validator does with the bytes it got: decode, re-hash every block, walk every path.
      ProofVerifier.Outcome outcome = ProofVerifier.verify(c, proofBytesOnWire);
      long t3 = System.nanoTime();
      if (!outcome.passed()) {
        throw new IllegalStateException(outcome.reason());
      }
      if ((warm & 1) != 0) {
        shaNanos[i] = sha256(proof, hashedBytes, i);
      }
      proveNanos[i] = t1 - t0;
      verifyNanos[i] = t3 - t2;
      proofBytes[i] = wire.length;
      blocks[i] = proof.blocks().size();
    }
    Arrays.sort(verifyNanos);
    Arrays.sort(proveNanos);
    Arrays.sort(proofBytes);
    Arrays.sort(shaNanos);
    long verifyMedian = verifyNanos[iterations / 2];
    long shaMedian = shaNanos[iterations / 2];
    double meanBytes = Arrays.stream(proofBytes).average().orElse(0);
    return String.format(Locale.ROOT,
        "{\"layout\":\"%s\",\"root\":\"%s\",\"dagBytes\":%d,\"proofBytesMean\":%.0f,\"proofBytesMin\":%d,\"proofBytesMax\":%d,"
            + "\"proofBlocksMean\":%.1f,\"verifyMicrosMedian\":%d,\"verifyMicrosP99\":%d,\"proveMicrosMedian\":%d,"
            + "\"deadlineMillisForMeanProof\":%d,\"hashedBytesMean\":%.0f,\"verify_us_median\":%.1f,"
            + "\"sha256_same_bytes_us_median\":%.1f,\"verify_over_sha256\":%.2f}",
        name, dag.root(), dag.dagSize(), meanBytes, proofBytes[0], proofBytes[iterations - 1], Arrays.stream(blocks).average().orElse(0),
        verifyNanos[iterations / 2] / 1000, verifyNanos[(int) (iterations * 0.99)] / 1000, proveNanos[iterations / 2] / 1000,
        DeadlineRule.DEFAULT.allowanceMillis((long) meanBytes), Arrays.stream(hashedBytes).average().orElse(0), verifyMedian / 1e3,
        shaMedian / 1e3, (double) verifyMedian / shaMedian);
  }

  /** The baseline: plain JDK SHA-256 over each of the proof's blocks, as the verifier hashes them. */
  private static long sha256(Proof proof, long[] hashedBytes, int i) throws Exception {
    long t0 = System.nanoTime();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long n = 0;
    int sink = 0;
    for (ProofBlock b : proof.blocks()) {
      sink ^= sha.digest(b.data())[0];
      n += b.data().length;
    }
    long nanos = System.nanoTime() - t0;
    blackhole ^= sink; // keeps the digests live
    hashedBytes[i] = n;
    return nanos;
  }
}
