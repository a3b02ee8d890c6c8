package io.canopy.compute.job;

import io.canopy.protocol.compute.ComputeMessage;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the node side of {@code /canopy/compute/1.0.0}, per model: jobs run at once, jobs that
 * may wait, how long a job may take (queue wait included) and how long a client may take to send
 * its request.
 */
public record ComputeConfig(int maxConcurrentJobs, int maxQueuedJobs, Duration jobTimeout, Duration requestTimeout, int maxFrameSize) {
  public static final int DEFAULT_MAX_CONCURRENT_JOBS = 1;
  public static final int DEFAULT_MAX_QUEUED_JOBS = 8;
  public static final Duration DEFAULT_JOB_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final ComputeConfig DEFAULT = new ComputeConfig(DEFAULT_MAX_CONCURRENT_JOBS, DEFAULT_MAX_QUEUED_JOBS,
      DEFAULT_JOB_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, ComputeMessage.MAX_FRAME_SIZE);

  public ComputeConfig {
    Objects.requireNonNull(jobTimeout, "jobTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (maxConcurrentJobs < 1 || maxQueuedJobs < 0) {
      throw new IllegalArgumentException("need at least one concurrent job and a non-negative queue");
    }
    if (jobTimeout.isNegative() || jobTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (maxFrameSize < 1024 || maxFrameSize > ComputeMessage.MAX_FRAME_SIZE) {
      throw new IllegalArgumentException("max frame size must be 1024.." + ComputeMessage.MAX_FRAME_SIZE);
    }
  }

  public ComputeConfig withSlots(int concurrent, int queued) {
    return new ComputeConfig(concurrent, queued, jobTimeout, requestTimeout, maxFrameSize);
  }

  public ComputeConfig withJobTimeout(Duration timeout) {
    return new ComputeConfig(maxConcurrentJobs, maxQueuedJobs, timeout, requestTimeout, maxFrameSize);
  }

  public ComputeConfig withRequestTimeout(Duration timeout) {
    return new ComputeConfig(maxConcurrentJobs, maxQueuedJobs, jobTimeout, timeout, maxFrameSize);
  }

  public ComputeConfig withMaxFrameSize(int size) {
    return new ComputeConfig(maxConcurrentJobs, maxQueuedJobs, jobTimeout, requestTimeout, size);
  }
}
