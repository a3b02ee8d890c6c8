package io.canopy.interop;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The nemesis's workload: writers PUT objects of 4–64 KiB with random bytes through the real AWS SDK
 * and remember the SHA-256 of every PUT the gateway acknowledged; a reader GETs acknowledged objects
 * and checks their bytes. A PUT that fails (the gateway is down, a timeout) is not acknowledged and
 * owes nothing; an acknowledged one must read back with its bytes after every fault — that is what
 * "lost" counts.
 */
final class Uploads implements AutoCloseable {
  private static final HexFormat HEX = HexFormat.of();

  private final S3Client s3;
  private final String bucket;
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  private final AtomicLong attempted = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong readFailures = new AtomicLong();
  private final AtomicLong wrongBytes = new AtomicLong();
  private final AtomicLong keys = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  Uploads(URI endpoint, String accessKeyId, String secretAccessKey, String bucket) {
    this.s3 = client(endpoint, accessKeyId, secretAccessKey);
    this.bucket = bucket;
  }

  static S3Client client(URI endpoint, String accessKeyId, String secretAccessKey) {
    return S3Client.builder().region(Region.US_EAST_1).endpointOverride(endpoint)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey)))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        // One attempt per operation and a bounded wait: a fault shows as a failed operation, not a stall.
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(Duration.ofSeconds(20)))
        .build();
  }

  /** Starts {@code writers} writer threads and one reader. */
  void start(int writers) {
    s3.createBucket(b -> b.bucket(bucket));
    running = true;
    for (int i = 0; i < writers; i++) {
      threads.add(daemon("nemesis-writer-" + i, this::write));
    }
    threads.add(daemon("nemesis-reader", this::read));
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void write() {
    while (running) {
      byte[] data = new byte[ThreadLocalRandom.current().nextInt(4 << 10, 64 << 10)];
      ThreadLocalRandom.current().nextBytes(data);
      String key = "obj-" + keys.incrementAndGet();
      attempted.incrementAndGet();
      try {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(data));
        acknowledged.put(key, sha256(data));
      } catch (RuntimeException e) {
        failed.incrementAndGet();
        pause(200);
      }
    }
  }

  private void read() {
    while (running) {
      List<String> known = new ArrayList<>(acknowledged.keySet());
      if (known.isEmpty()) {
        pause(100);
        continue;
      }
      String key = known.get(ThreadLocalRandom.current().nextInt(known.size()));
      reads.incrementAndGet();
      try {
        if (!sha256(get(key)).equals(acknowledged.get(key))) {
          wrongBytes.incrementAndGet();
        }
      } catch (RuntimeException e) {
        readFailures.incrementAndGet();
        pause(200);
      }
    }
  }

  byte[] get(String key) {
    ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
    return r.asByteArray();
  }

  /** The acknowledged objects that do not read back with their bytes now (after a GET attempt each). */
  List<String> unreadable() {
    List<String> bad = new ArrayList<>();
    acknowledged.forEach((key, sha) -> {
      try {
        if (!sha256(get(key)).equals(sha)) {
          bad.add(key + " (wrong bytes)");
        }
      } catch (RuntimeException e) {
        bad.add(key + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
      }
    });
    return bad;
  }

  Counts counts() {
    return new Counts(attempted.get(), acknowledged.size(), failed.get(), reads.get(), readFailures.get(), wrongBytes.get());
  }

  /** PUTs attempted, acknowledged and failed; GETs during the run, failed, and with wrong bytes (must stay 0). */
  record Counts(long attempted, long acknowledged, long failed, long reads, long readFailures, long wrongBytes) {
    Counts minus(Counts before) {
      return new Counts(attempted - before.attempted, acknowledged - before.acknowledged, failed - before.failed,
          reads - before.reads, readFailures - before.readFailures, wrongBytes - before.wrongBytes);
    }
  }

  void stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    s3.close();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String sha256(byte[] data) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
