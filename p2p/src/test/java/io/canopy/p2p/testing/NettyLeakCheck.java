package io.canopy.p2p.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer (CONVENTIONS.md: a leak fails the build).
 * Registered for every test class of this module through JUnit's extension auto-detection, so it
 * is installed before any ByteBuf class is loaded; surefire runs the JVM with leak detection at
 * PARANOID, so every buffer is tracked.
 *
 * <p>Netty notices a leak only when the leaked buffer has been collected and a later allocation
 * polls the detector, so after each class it collects garbage and allocates a few times.
 */
public final class NettyLeakCheck implements AfterAllCallback {
  private static final List<String> LEAKS = new ArrayList<>();

  static {
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  /** Leak reports collected since the last {@link #drain}. */
  public static synchronized List<String> drain() {
    List<String> out = new ArrayList<>(LEAKS);
    LEAKS.clear();
    return out;
  }

  private static synchronized void record(String report) {
    LEAKS.add(report);
  }

  /** Makes Netty look for leaked buffers now: collect, then allocate so the detector polls. */
  public static void collectAndPoll() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      for (int j = 0; j < 8; j++) {
        ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
        a.release();
        b.release();
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    collectAndPoll();
    List<String> leaks = drain();
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          leaks.size() + " ByteBuf leak(s) reported while running " + context.getDisplayName() + ":\n" + String.join("\n", leaks));
    }
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<>(resource, samplingInterval, maxActive) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          record("LEAK: " + resourceType + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          record("LEAK: " + resourceType + " (untraced)");
        }

        @Override
        protected void reportInstancesLeak(String resourceType) {
          record("LEAK: too many instances of " + resourceType);
        }
      };
    }
  }
}
