package io.canopy.validator.sim;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.Verdict;
import io.canopy.validator.compute.ReceiptSampler;
import io.canopy.validator.poa.Quorum;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.RewardCalculator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A whole network run epoch by epoch in one process (no sockets, no proofs on the wire): storage
 * nodes holding deal replicas, some of which deleted leaves; compute nodes, some of which return
 * wrong output; three validators; and a settlement per epoch whose digest seeds the next beacon.
 *
 * <p>What is real: peer IDs (Ed25519), the beacon chain ({@link Beacon}), the challenge offsets
 * ({@link ChallengeDerivation}, k draws per replica per epoch), the quorum threshold ({@link
 * Quorum}; with {@code Config.signedVerdicts(true)} every verdict is signed and decided by it), the
 * receipt sample ({@link ReceiptSampler} with the next epoch's beacon) and the reward formulas
 * ({@link RewardCalculator}, {@link Prices}). What is modelled: a replica's answer is PASS unless a
 * drawn offset falls in a deleted leaf (FAIL) or its node is offline (TIMEOUT), the same for every
 * validator; a sampled job's re-run disagrees iff the node returned wrong output; the ledger is a
 * set of balances in arrays; and {@code settlement_hash(e)} is replaced by a SHA-256 digest of
 * the simulated settlement (outcomes, fraud set, totals and every balance), since no signed
 * record is built.
 *
 * <p>Timing follows spec/compute-verification.md §6.2: the receipts of epoch {@code e} are sampled
 * with {@code beacon(e+1)}, so they are settled in the settlement of {@code e+1} together with
 * that epoch's storage replicas; a node with a fraud proof forfeits every item of that
 * settlement (its compute of {@code e} and its storage of {@code e+1}), as
 * {@code RewardCalculator.calculate} does with a settlement's fraud set. The last epoch's
 * receipts wait for a settlement that is not simulated.
 */
public final class NetworkSimulation {
  /** UnixFS default chunking: a file is cut into leaves of 256 KiB, the last one shorter. */
  public static final long LEAF_BYTES = 256 * 1024;
  /** All jobs run one model; its price is the default per-1k-tokens price. */
  private static final String MODEL = "sim-model";
  private static final byte[] SETTLEMENT_DOMAIN = "canopy-sim-settlement-v1".getBytes(StandardCharsets.US_ASCII);

  /** The network's shape and behaviour; every field has a default for the 10,000-node benchmark. */
  public static final class Config {
    int nodes = 10_000;
    int epochs = 100;
    long seed = 1;
    String networkId = "canopy-sim";
    /** Replicas a node holds on average; deals = nodes × this / replication. */
    int replicasPerNode = 3;
    int replication = 3;
    long minFileBytes = 1024;
    long maxFileBytes = 64L << 20;
    int draws = ChallengeDerivation.DEFAULT_DRAWS;
    double storageCheaterShare = 0.10;
    /** The fractions f of one deal's leaves a storage cheater deletes, assigned round-robin. */
    double[] deletedFractions = {0.01, 0.1, 0.5, 1.0};
    /** Chance that a node is unreachable for a whole epoch. */
    double offlineChance = 0.005;
    double computeShare = 0.20;
    int jobsPerEpoch = 10;
    double computeCheaterShare = 0.10;
    /** The chances c that a compute cheater returns wrong output for a job, assigned round-robin. */
    double[] wrongFractions = {0.1, 0.5, 1.0};
    long samplePpm = ReceiptSampler.DEFAULT_PPM;
    int validators = 3;
    /** 1 credit per GiB-epoch, 300 µc per 1000 tokens, 2.5 % validator fee. */
    Prices prices = Prices.of(1_000_000, 300, 250);
    /** What every payer account (deal owner or API user) deposits before epoch 0, in micro-credits. */
    long deposit = 1_000_000_000_000L;
    /** Sign every verdict and decide with {@link Quorum}: real, but about 0.3 ms per verdict. */
    boolean signedVerdicts;

    public Config nodes(int n) {
      nodes = n;
      return this;
    }

    public Config epochs(int n) {
      epochs = n;
      return this;
    }

    public Config seed(long s) {
      seed = s;
      return this;
    }

    /** Every file's size is drawn log-uniformly from {@code [min, max]}. */
    public Config fileBytes(long min, long max) {
      minFileBytes = min;
      maxFileBytes = max;
      return this;
    }

    public Config cheaters(double storageShare, double computeShareOfComputeNodes) {
      storageCheaterShare = storageShare;
      computeCheaterShare = computeShareOfComputeNodes;
      return this;
    }

    public Config deposit(long microCredits) {
      deposit = microCredits;
      return this;
    }

    public Config signedVerdicts(boolean on) {
      signedVerdicts = on;
      return this;
    }
  }

  /** Money moved by one settlement; the first four are measured on the balances, the rest counted while paying. */
  public record Totals(long charged, long toOperators, long toValidators, long toNetwork, long owed, long fees, long forfeited,
                       long unfunded) {}

  /**
   * One epoch: {@code outcomes[r]} is replica r's {@link Quorum.Outcome} ordinal; the compute
   * arrays are per node and describe the previous epoch's jobs, settled here.
   */
  public record EpochReport(long epoch, Beacon beacon, boolean[] offline, byte[] outcomes, int[] jobsSettled, int[] jobsSampled,
                            boolean[] fraud, Totals totals, long storageNanos, long totalNanos) {}

  private final Config config;
  private final Random random;
  private final PeerId[] peers;
  private final List<Ed25519PrivateKey> validatorKeys;
  private final Quorum quorum;
  private final ReceiptSampler sampler;
  private final EpochClock clock = new EpochClock(0, EpochClock.DEFAULT_LENGTH_MILLIS);
  // Deals, and their replicas: replica r belongs to deal r / replication; a deal's replicas are in peer ID text order (§7.5).
  private final String[] dealIds;
  private final long[] fileBytes;
  private final int[] dealOwner;
  private final int[] replicaNode;
  // Storage cheating, per replica (null / 0 for an intact one).
  private final BitSet[] deletedLeaves;
  private final double[] deletedFraction;
  private final double[] missingShare;
  // Compute, per node: whether it serves jobs, and its chance of a wrong output.
  private final boolean[] computes;
  private final double[] wrongChance;
  // The ledger: payers (owners, then API users), operators by node, validators, network.
  private final int owners;
  private final int apiUsers;
  private final long[] payerBalance;
  private final long[] operatorBalance;
  private final long[] validatorBalance;
  private long networkBalance;
  private final long setupNanos;

  public NetworkSimulation(Config config) {
    if (config.nodes < config.replication || config.epochs < 1 || config.validators < 1) {
      throw new IllegalArgumentException("need at least as many nodes as replicas, one epoch and one validator");
    }
    long t0 = System.nanoTime();
    this.config = config;
    this.random = new Random(config.seed);
    this.peers = new PeerId[config.nodes];
    for (int i = 0; i < config.nodes; i++) {
      peers[i] = newKey().peerId();
    }
    this.validatorKeys = IntStream.range(0, config.validators).mapToObj(i -> newKey()).toList();
    this.quorum = Quorum.majority(validatorKeys.stream().map(Ed25519PrivateKey::peerId).toList());
    this.sampler = new ReceiptSampler(config.samplePpm);
    int deals = config.nodes * config.replicasPerNode / config.replication;
    this.owners = Math.max(1, config.nodes / 10);
    this.apiUsers = Math.max(1, config.nodes / 20);
    this.dealIds = new String[deals];
    this.fileBytes = new long[deals];
    this.dealOwner = new int[deals];
    this.replicaNode = new int[deals * config.replication];
    placeDeals();
    this.deletedLeaves = new BitSet[replicaNode.length];
    this.deletedFraction = new double[replicaNode.length];
    this.missingShare = new double[replicaNode.length];
    chooseStorageCheaters();
    this.computes = new boolean[config.nodes];
    this.wrongChance = new double[config.nodes];
    chooseComputeNodes();
    this.payerBalance = new long[owners + apiUsers];
    Arrays.fill(payerBalance, config.deposit);
    this.operatorBalance = new long[config.nodes];
    this.validatorBalance = new long[config.validators];
    this.setupNanos = System.nanoTime() - t0;
  }

  private Ed25519PrivateKey newKey() {
    byte[] seed = new byte[Ed25519PrivateKey.SEED_LENGTH];
    random.nextBytes(seed);
    return Ed25519PrivateKey.fromSeed(seed);
  }

  /** Each deal: a log-uniform size, a random owner, and replicas on distinct random nodes. */
  private void placeDeals() {
    int rf = config.replication;
    String[] peerText = Arrays.stream(peers).map(PeerId::toString).toArray(String[]::new);
    for (int d = 0; d < dealIds.length; d++) {
      dealIds[d] = String.format("deal-%08d", d);
      fileBytes[d] = logUniform(config.minFileBytes, config.maxFileBytes);
      dealOwner[d] = random.nextInt(owners);
      Integer[] nodes = random.ints(0, config.nodes).distinct().limit(rf).boxed().toArray(Integer[]::new);
      Arrays.sort(nodes, Comparator.comparing(n -> peerText[n]));
      for (int i = 0; i < rf; i++) {
        replicaNode[d * rf + i] = nodes[i];
      }
    }
  }

  private long logUniform(long min, long max) {
    double lo = Math.log(min);
    return Math.min(max, Math.max(min, Math.round(Math.exp(lo + random.nextDouble() * (Math.log(max) - lo)))));
  }

  static int leaves(long fileBytes) {
    return (int) Math.max(1, (fileBytes + LEAF_BYTES - 1) / LEAF_BYTES);
  }

  /** A share of nodes each deletes a fraction f of the leaves of one replica it holds, for good. */
  private void chooseStorageCheaters() {
    List<List<Integer>> held = new ArrayList<>();
    for (int n = 0; n < config.nodes; n++) {
      held.add(new ArrayList<>());
    }
    for (int r = 0; r < replicaNode.length; r++) {
      held.get(replicaNode[r]).add(r);
    }
    int[] order = shuffledNodes();
    int cheaters = (int) Math.round(config.storageCheaterShare * config.nodes);
    int assigned = 0;
    for (int i = 0; i < order.length && assigned < cheaters; i++) {
      List<Integer> mine = held.get(order[i]);
      if (mine.isEmpty()) {
        continue; // a node that holds nothing has nothing to delete
      }
      int r = mine.get(random.nextInt(mine.size()));
      deleteLeaves(r, config.deletedFractions[assigned % config.deletedFractions.length]);
      assigned++;
    }
  }

  /**
   * Deletes ⌈f·leaves⌉ random leaves, at least one: a file of fewer than 1/f leaves therefore
   * loses more than f of its bytes, and a one-leaf file loses everything (spec/proofs.md §5.2.2).
   */
  private void deleteLeaves(int replica, double f) {
    long size = fileBytes[replica / config.replication];
    int n = leaves(size);
    int count = (int) Math.max(1, Math.min(n, Math.ceil(f * n - 1e-9))); // 1e-9: 0.1 × 40 is 4.000000000000001
    BitSet lost = new BitSet(n);
    while (lost.cardinality() < count) {
      lost.set(random.nextInt(n));
    }
    long lostBytes = 0;
    for (int leaf = lost.nextSetBit(0); leaf >= 0; leaf = lost.nextSetBit(leaf + 1)) {
      lostBytes += Math.min(LEAF_BYTES, size - leaf * LEAF_BYTES);
    }
    deletedLeaves[replica] = lost;
    deletedFraction[replica] = f;
    missingShare[replica] = (double) lostBytes / size;
  }

  private void chooseComputeNodes() {
    int[] order = shuffledNodes();
    int computeNodes = (int) Math.round(config.computeShare * config.nodes);
    int cheaters = (int) Math.round(config.computeCheaterShare * computeNodes);
    for (int i = 0; i < computeNodes; i++) {
      computes[order[i]] = true;
      if (i < cheaters) {
        wrongChance[order[i]] = config.wrongFractions[i % config.wrongFractions.length];
      }
    }
  }

  private int[] shuffledNodes() {
    int[] order = IntStream.range(0, config.nodes).toArray();
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** The jobs one epoch's compute nodes ran, in canonical order (job id, which embeds epoch and node). */
  private record Jobs(String[] ids, int[] node, int[] tokens, int[] payer, boolean[] wrong) {}

  /** Runs every epoch; beacon(0) is the genesis beacon, beacon(e+1) follows epoch e's settlement digest. */
  public Result run() {
    List<EpochReport> reports = new ArrayList<>();
    Beacon beacon = Beacon.genesis(config.networkId);
    byte[] previous = new byte[32];
    Jobs pending = null;
    long t0 = System.nanoTime();
    for (int e = 0; e < config.epochs; e++) {
      long start = System.nanoTime();
      boolean[] offline = drawOffline();
      byte[] outcomes = challengeReplicas(e, beacon, offline);
      long storageNanos = System.nanoTime() - start;
      int[] settled = new int[config.nodes];
      int[] sampled = new int[config.nodes];
      boolean[] fraud = new boolean[config.nodes];
      if (pending != null) {
        checkJobs(pending, beacon, settled, sampled, fraud);
      }
      Jobs jobs = runJobs(e, offline);
      Totals totals = settle(outcomes, pending, fraud);
      previous = settlementDigest(e, previous, outcomes, fraud, totals);
      reports.add(new EpochReport(e, beacon, offline, outcomes, settled, sampled, fraud, totals, storageNanos, System.nanoTime() - start));
      beacon = Beacon.afterSettlement(previous);
      pending = jobs;
    }
    return new Result(reports, System.nanoTime() - t0);
  }

  private boolean[] drawOffline() {
    boolean[] offline = new boolean[config.nodes];
    for (int n = 0; n < offline.length; n++) {
      offline[n] = random.nextDouble() < config.offlineChance;
    }
    return offline;
  }

  /** Every validator challenges every replica (§5.1); replicas are independent, so they are decided in parallel. */
  private byte[] challengeReplicas(long epoch, Beacon beacon, boolean[] offline) {
    byte[] outcomes = new byte[replicaNode.length];
    IntStream.range(0, replicaNode.length).parallel()
        .forEach(r -> outcomes[r] = (byte) decide(epoch, r, answer(beacon, r, offline)).ordinal());
    return outcomes;
  }

  /** What every validator concludes about replica r: the same for all of them in this model. */
  private Verdict.Result answer(Beacon beacon, int r, boolean[] offline) {
    int node = replicaNode[r];
    if (offline[node]) {
      return Verdict.Result.TIMEOUT;
    }
    // Drawn for intact replicas too: a validator cannot know which replicas are intact, and this is the cost being measured.
    long[] offsets = ChallengeDerivation.offsets(beacon, dealIds[r / config.replication], peers[node],
        fileBytes[r / config.replication], config.draws);
    BitSet lost = deletedLeaves[r];
    if (lost != null) {
      for (long offset : offsets) {
        if (lost.get((int) (offset / LEAF_BYTES))) {
          return Verdict.Result.FAIL; // the node cannot produce the leaf: it refuses NOT_HOLDING (§5.6)
        }
      }
    }
    return Verdict.Result.PASS;
  }

  private Quorum.Outcome decide(long epoch, int r, Verdict.Result result) {
    if (config.signedVerdicts) {
      String deal = dealIds[r / config.replication];
      PeerId node = peers[replicaNode[r]];
      String reason = result == Verdict.Result.PASS ? "" : result == Verdict.Result.FAIL ? "NOT_HOLDING: sim" : "NO_ANSWER: sim";
      List<Verdict> verdicts = validatorKeys.stream().map(v -> Verdict.sign(v, epoch, deal, node, result, reason, 0, 0)).toList();
      return quorum.decide(epoch, deal, node, verdicts).outcome();
    }
    int passes = result == Verdict.Result.PASS ? config.validators : 0;
    return majority(passes, config.validators - passes);
  }

  /**
   * The rule of spec/proofs.md §5.8 with every verdict counted, as {@link Quorum#decide} applies
   * it; used at scale because signing and verifying 3 verdicts per replica would cost more than
   * the whole rest of the simulation. {@code NetworkSimulationTest} checks that both agree.
   */
  private Quorum.Outcome majority(int passes, int failures) {
    int q = quorum.threshold();
    return passes >= q ? Quorum.Outcome.PASS : failures >= q ? Quorum.Outcome.FAIL : Quorum.Outcome.UNDECIDED;
  }

  /** Online compute nodes each run {@code jobsPerEpoch} jobs for random API users; a cheat's output is wrong with chance c. */
  private Jobs runJobs(long epoch, boolean[] offline) {
    List<Integer> nodes = new ArrayList<>();
    for (int n = 0; n < config.nodes; n++) {
      if (computes[n] && !offline[n]) {
        nodes.add(n);
      }
    }
    int count = nodes.size() * config.jobsPerEpoch;
    Jobs jobs = new Jobs(new String[count], new int[count], new int[count], new int[count], new boolean[count]);
    int i = 0;
    for (int n : nodes) {
      for (int j = 0; j < config.jobsPerEpoch; j++, i++) {
        jobs.ids[i] = String.format("job-%06d-%08d-%04d", epoch, n, j);
        jobs.node[i] = n;
        jobs.tokens[i] = 50 + random.nextInt(1951);
        jobs.payer[i] = owners + random.nextInt(apiUsers);
        jobs.wrong[i] = random.nextDouble() < wrongChance[n];
      }
    }
    return jobs;
  }

  /**
   * Samples the previous epoch's jobs with this epoch's beacon (§6.2); every job is checkable
   * (exact), and a sampled job's re-run disagrees, yielding a fraud proof, iff its output was wrong.
   */
  private void checkJobs(Jobs jobs, Beacon beacon, int[] settled, int[] sampled, boolean[] fraud) {
    boolean[] selected = new boolean[jobs.ids.length];
    IntStream.range(0, selected.length).parallel().forEach(i -> selected[i] = sampler.selects(beacon, jobs.ids[i], peers[jobs.node[i]]));
    for (int i = 0; i < selected.length; i++) {
      int n = jobs.node[i];
      settled[n]++;
      if (selected[i]) {
        sampled[n]++;
        fraud[n] |= jobs.wrong[i];
      }
    }
  }

  /**
   * Pays, in canonical order (§7.5), this epoch's PASS replicas and the previous epoch's jobs;
   * a fraud node's items are forfeited (the payers keep the money), a payer short of funds pays
   * what it has (unfunded); then the fees are split equally among the validators (§7.4).
   */
  private Totals settle(byte[] outcomes, Jobs jobs, boolean[] fraud) {
    long[] before = {sum(payerBalance), sum(operatorBalance), sum(validatorBalance), networkBalance};
    long[] counted = new long[4]; // owed, fees, forfeited, unfunded
    long price = config.prices.perGiBEpochDefault();
    for (int r = 0; r < outcomes.length; r++) {
      if (outcomes[r] == Quorum.Outcome.PASS.ordinal()) {
        int deal = r / config.replication;
        pay(counted, dealOwner[deal], replicaNode[r], RewardCalculator.storageReward(price, fileBytes[deal]), fraud);
      }
    }
    if (jobs != null) {
      long perKilo = config.prices.perKiloTokens(MODEL);
      for (int i = 0; i < jobs.ids.length; i++) {
        pay(counted, jobs.payer[i], jobs.node[i], RewardCalculator.computeReward(perKilo, jobs.tokens[i]), fraud);
      }
    }
    long share = counted[1] / config.validators;
    networkBalance -= share * config.validators;
    for (int v = 0; v < config.validators; v++) {
      validatorBalance[v] += share;
    }
    return new Totals(before[0] - sum(payerBalance), sum(operatorBalance) - before[1], sum(validatorBalance) - before[2],
        networkBalance - before[3], counted[0], counted[1], counted[2], counted[3]);
  }

  /** One item (§7.4): {payer −paid, operator +(paid − fee), network +fee}. */
  private void pay(long[] counted, int payer, int node, long owed, boolean[] fraud) {
    if (owed == 0) {
      return;
    }
    counted[0] = Math.addExact(counted[0], owed);
    if (fraud[node]) {
      counted[2] = Math.addExact(counted[2], owed);
      return;
    }
    long paid = Math.min(owed, payerBalance[payer]);
    counted[3] = Math.addExact(counted[3], owed - paid);
    long fee = RewardCalculator.fee(config.prices.feeBps(), paid);
    payerBalance[payer] -= paid;
    operatorBalance[node] = Math.addExact(operatorBalance[node], paid - fee);
    networkBalance = Math.addExact(networkBalance, fee);
    counted[1] = Math.addExact(counted[1], fee);
  }

  private static long sum(long[] values) {
    long s = 0;
    for (long v : values) {
      s = Math.addExact(s, v);
    }
    return s;
  }

  /**
   * Stands in for {@code settlement_hash(e)} (spec/epochs.md §4.2): SHA-256 over the network,
   * the epoch and its start time, the previous digest, every replica outcome in canonical order,
   * the fraud set, the totals and every balance after the epoch, so each beacon depends on all
   * that happened before it, as a real record's hash does.
   */
  private byte[] settlementDigest(long epoch, byte[] previous, byte[] outcomes, boolean[] fraud, Totals t) {
    MessageDigest d = sha256();
    d.update(SETTLEMENT_DOMAIN);
    d.update(config.networkId.getBytes(StandardCharsets.UTF_8));
    d.update(longs(epoch, clock.startMillis(epoch)));
    d.update(previous);
    d.update(outcomes);
    for (int n = 0; n < fraud.length; n++) {
      if (fraud[n]) {
        d.update(peers[n].toBytes());
      }
    }
    d.update(longs(t.charged(), t.toOperators(), t.toValidators(), t.toNetwork(), t.owed(), t.fees(), t.forfeited(), t.unfunded()));
    d.update(longs(payerBalance));
    d.update(longs(operatorBalance));
    d.update(longs(validatorBalance));
    d.update(longs(networkBalance));
    return d.digest();
  }

  private static byte[] longs(long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES);
    for (long v : values) {
      b.putLong(v);
    }
    return b.array();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Measured against predicted detection of the storage cheaters that deleted a fraction f. */
  public record StorageStats(double f, int replicas, long challenged, long failures, double measured, double expected, double sigma,
                             double nominal, double meanMissingShare, double medianFirstDetection, int neverDetected) {}

  /** Measured against predicted detection of the compute cheaters with wrong-output chance c. */
  public record ComputeStats(double c, int nodes, long nodeEpochs, long caught, double measured, double expected, double sigma,
                             double nominal) {}

  /** The reports of a run, and the statistics drawn from them. */
  public final class Result {
    private final List<EpochReport> epochs;
    private final long runNanos;

    private Result(List<EpochReport> epochs, long runNanos) {
      this.epochs = List.copyOf(epochs);
      this.runNanos = runNanos;
    }

    public List<EpochReport> epochs() {
      return epochs;
    }

    public Config config() {
      return config;
    }

    public long setupNanos() {
      return setupNanos;
    }

    public long runNanos() {
      return runNanos;
    }

    public int deals() {
      return dealIds.length;
    }

    public int replicas() {
      return replicaNode.length;
    }

    public int replicaNode(int replica) {
      return replicaNode[replica];
    }

    public int leavesOf(int replica) {
      return leaves(fileBytes[replica / config.replication]);
    }

    /** The fraction of leaves replica r's node deleted; 0 for an intact replica. */
    public double deletedFraction(int replica) {
      return deletedFraction[replica];
    }

    public boolean computes(int node) {
      return computes[node];
    }

    /** The chance that {@code node} returns wrong output; 0 for an honest node. */
    public double wrongChance(int node) {
      return wrongChance[node];
    }

    /** Replica-challenges answered (node online), the unit of the per-challenge time. */
    public long challengesAnswered() {
      long n = 0;
      for (EpochReport e : epochs) {
        for (int r = 0; r < replicaNode.length; r++) {
          n += e.offline()[replicaNode[r]] ? 0 : 1;
        }
      }
      return n;
    }

    /** Intact replicas on online nodes whose outcome was not PASS: must be 0. */
    public long honestFalseFailures() {
      long n = 0;
      for (EpochReport e : epochs) {
        for (int r = 0; r < replicaNode.length; r++) {
          boolean honestOnline = deletedLeaves[r] == null && !e.offline()[replicaNode[r]];
          n += honestOnline && e.outcomes()[r] != Quorum.Outcome.PASS.ordinal() ? 1 : 0;
        }
      }
      return n;
    }

    /** Replica-epochs that failed because the node was offline (TIMEOUT from every validator). */
    public long offlineFailures() {
      long n = 0;
      for (EpochReport e : epochs) {
        for (int r = 0; r < replicaNode.length; r++) {
          n += e.offline()[replicaNode[r]] && e.outcomes()[r] == Quorum.Outcome.FAIL.ordinal() ? 1 : 0;
        }
      }
      return n;
    }

    /** Fraud proofs against nodes that never returned a wrong output: must be 0. */
    public long honestFalseFrauds() {
      long n = 0;
      for (EpochReport e : epochs) {
        for (int node = 0; node < config.nodes; node++) {
          n += e.fraud()[node] && wrongChance[node] == 0 ? 1 : 0;
        }
      }
      return n;
    }

    /**
     * Storage cheaters with deletion fraction f on files of at least {@code minLeaves} leaves,
     * over the epochs their node was online: the measured catch rate, the rate expected from each
     * replica's actual missing byte share f' (1−(1−f')^k averaged over the challenges, with the
     * Poisson-binomial σ of the measured rate) and the nominal 1−(1−f)^k of spec/proofs.md §5.9.
     */
    public StorageStats storageStats(double f, int minLeaves) {
      int replicas = 0;
      long challenged = 0;
      long failures = 0;
      double expected = 0;
      double variance = 0;
      double missing = 0;
      List<Long> firstDetections = new ArrayList<>();
      for (int r = 0; r < replicaNode.length; r++) {
        if (deletedLeaves[r] == null || deletedFraction[r] != f || leavesOf(r) < minLeaves) {
          continue;
        }
        replicas++;
        missing += missingShare[r];
        double p = 1 - Math.pow(1 - missingShare[r], config.draws);
        long first = -1;
        for (EpochReport e : epochs) {
          if (e.offline()[replicaNode[r]]) {
            continue;
          }
          challenged++;
          expected += p;
          variance += p * (1 - p);
          if (e.outcomes()[r] == Quorum.Outcome.FAIL.ordinal()) {
            failures++;
            first = first < 0 ? e.epoch() : first;
          }
        }
        if (first >= 0) {
          firstDetections.add(first);
        }
      }
      double n = Math.max(1, challenged);
      return new StorageStats(f, replicas, challenged, failures, failures / n, expected / n, Math.sqrt(variance) / n,
          1 - Math.pow(1 - f, config.draws), missing / Math.max(1, replicas), median(firstDetections), replicas - firstDetections.size());
    }

    /**
     * Compute cheaters with wrong-output chance c, over the node-epochs whose jobs were settled:
     * caught when a fraud proof holds; expected 1−(1−p·c)^n for the node's n jobs (spec §6.6).
     */
    public ComputeStats computeStats(double c) {
      double p = config.samplePpm / 1e6;
      int nodes = 0;
      long nodeEpochs = 0;
      long caught = 0;
      double expected = 0;
      double variance = 0;
      for (int node = 0; node < config.nodes; node++) {
        if (wrongChance[node] != c || c == 0) {
          continue;
        }
        nodes++;
        for (EpochReport e : epochs) {
          if (e.jobsSettled()[node] == 0) {
            continue;
          }
          double q = 1 - Math.pow(1 - p * c, e.jobsSettled()[node]);
          nodeEpochs++;
          expected += q;
          variance += q * (1 - q);
          caught += e.fraud()[node] ? 1 : 0;
        }
      }
      double n = Math.max(1, nodeEpochs);
      return new ComputeStats(c, nodes, nodeEpochs, caught, caught / n, expected / n, Math.sqrt(variance) / n,
          1 - Math.pow(1 - p * c, config.jobsPerEpoch));
    }

    /** Every epoch's totals added up. */
    public Totals total() {
      long[] s = new long[8];
      for (EpochReport e : epochs) {
        Totals t = e.totals();
        long[] v = {t.charged(), t.toOperators(), t.toValidators(), t.toNetwork(), t.owed(), t.fees(), t.forfeited(), t.unfunded()};
        for (int i = 0; i < s.length; i++) {
          s[i] = Math.addExact(s[i], v[i]);
        }
      }
      return new Totals(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    }

    /** Every balance inside the ledger: equals the deposits, since every transaction sums to zero (§7.3). */
    public long ledgerBalance() {
      return Math.addExact(Math.addExact(sum(payerBalance), sum(operatorBalance)), Math.addExact(sum(validatorBalance), networkBalance));
    }

    public long deposits() {
      return Math.multiplyExact(config.deposit, payerBalance.length);
    }

    public double medianOperatorPayoutPerEpoch() {
      return median(epochs.stream().map(e -> e.totals().toOperators()).toList());
    }

    public double medianEpochMillis() {
      return median(epochs.stream().map(e -> e.totalNanos() / 1_000_000).toList());
    }

    public long storageNanos() {
      return epochs.stream().mapToLong(EpochReport::storageNanos).sum();
    }
  }

  private static double median(List<Long> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
  }
}
