package io.canopy.gateway;

import io.canopy.content.block.Blockstore;
import io.canopy.gateway.http.HttpListener;
import io.canopy.gateway.ipfs.IpfsGateway;
import io.canopy.gateway.openai.ApiKeys;
import io.canopy.gateway.openai.InferenceBackend;
import io.canopy.gateway.openai.OpenAiHandler;
import io.canopy.gateway.s3.S3Addressing;
import io.canopy.gateway.s3.S3Handler;
import io.canopy.gateway.s3.auth.S3AuthConfig;
import io.canopy.gateway.s3.data.ObjectData;
import io.canopy.gateway.s3.data.ObjectKeeper;
import io.canopy.gateway.s3.meta.S3Metadata;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway role's HTTP faces, each on its own address: the IPFS path gateway, S3 and the
 * OpenAI API; the Kubo RPC subset joins here. One Vert.x instance serves them; blocking work (exporting DAGs,
 * fetching blocks from peers) runs on its worker pool, never on an event loop.
 */
public final class Gateway implements AutoCloseable {
  /** Limits every face shares: request line and headers (oversized ones get 414/431 from Vert.x). */
  public static final int MAX_INITIAL_LINE = 8 * 1024;
  public static final int MAX_HEADER_SIZE = 16 * 1024;
  public static final int WORKER_THREADS = 32;
  /**
   * A client must send a complete request head within this of connecting (slowloris: the idle
   * timeout restarts with every byte, so it alone never ends a connection trickling its headers).
   */
  public static final Duration DEFAULT_REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(20);
  /** How long a connection may stay unused; also the deadline for the next request head on a kept-alive connection. */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(120);

  private final Vertx vertx;
  private final Map<String, URI> urls = new LinkedHashMap<>();
  private final Duration requestHeadTimeout;

  private Gateway(Vertx vertx, Duration requestHeadTimeout) {
    this.vertx = vertx;
    this.requestHeadTimeout = requestHeadTimeout;
  }

  /** Starts the IPFS gateway on {@code ipfsGateway}, reading blocks from {@code blocks}. */
  public static Gateway start(InetSocketAddress ipfsGateway, Blockstore blocks) throws Exception {
    Gateway g = new Gateway(Vertx.vertx(new VertxOptions().setWorkerPoolSize(WORKER_THREADS)), DEFAULT_REQUEST_HEAD_TIMEOUT);
    try {
      g.listen("ipfsGateway", ipfsGateway, new IpfsGateway(g.vertx, blocks));
      return g;
    } catch (Exception e) {
      g.close();
      throw e;
    }
  }

  /**
   * The S3 face's settings: where it listens, where its metadata lives, and the base domains of
   * virtual-hosted-style addressing ({@link S3Addressing#pathStyleOnly()} for none).
   */
  public record S3Face(InetSocketAddress address, S3Metadata metadata, ObjectKeeper keeper, S3Addressing addressing,
                       S3AuthConfig auth, long maxObjectSize, int maxConcurrentUploads) {
    public S3Face {
      java.util.Objects.requireNonNull(address, "address");
      java.util.Objects.requireNonNull(metadata, "metadata");
      java.util.Objects.requireNonNull(keeper, "keeper");
      addressing = addressing == null ? S3Addressing.pathStyleOnly() : addressing;
      auth = auth == null ? S3AuthConfig.defaults() : auth;
      if (maxObjectSize < 1 || maxConcurrentUploads < 1) {
        throw new IllegalArgumentException("maxObjectSize " + maxObjectSize + ", maxConcurrentUploads " + maxConcurrentUploads);
      }
    }

    /** With S3's object size limit ({@link S3Handler#MAX_OBJECT_SIZE}) and {@link S3Handler#DEFAULT_MAX_CONCURRENT_UPLOADS}. */
    public S3Face(InetSocketAddress address, S3Metadata metadata, ObjectKeeper keeper, S3Addressing addressing,
                  S3AuthConfig auth) {
      this(address, metadata, keeper, addressing, auth, S3Handler.MAX_OBJECT_SIZE, S3Handler.DEFAULT_MAX_CONCURRENT_UPLOADS);
    }

    /** Over a blockstore nothing collects garbage from (see {@link ObjectKeeper#KEEP_EVERYTHING}). */
    public S3Face(InetSocketAddress address, S3Metadata metadata) {
      this(address, metadata, ObjectKeeper.KEEP_EVERYTHING, null, null);
    }
  }

  /**
   * Starts the IPFS gateway on {@code ipfsGateway} and, next to it, the S3 face (objects stored
   * in {@code blocks}); a null {@code ipfsGateway} leaves the IPFS gateway out. The caller keeps
   * ownership of the S3 metadata (and closes it after the gateway).
   */
  public static Gateway start(InetSocketAddress ipfsGateway, Blockstore blocks, S3Face s3) throws Exception {
    return start(ipfsGateway, blocks, s3, null);
  }

  /**
   * The OpenAI face's settings: where it listens, the backend that serves its models, who holds
   * its API keys, and the largest request body it reads.
   */
  public record OpenAiFace(InetSocketAddress address, InferenceBackend backend, ApiKeys keys, int maxBodyBytes) {
    public OpenAiFace {
      java.util.Objects.requireNonNull(address, "address");
      java.util.Objects.requireNonNull(backend, "backend");
      java.util.Objects.requireNonNull(keys, "keys");
      if (maxBodyBytes < 1) {
        throw new IllegalArgumentException("maxBodyBytes " + maxBodyBytes);
      }
    }

    /** With {@link OpenAiHandler#DEFAULT_MAX_BODY_BYTES}. */
    public OpenAiFace(InetSocketAddress address, InferenceBackend backend, ApiKeys keys) {
      this(address, backend, keys, OpenAiHandler.DEFAULT_MAX_BODY_BYTES);
    }
  }

  /**
   * As {@link #start(InetSocketAddress, Blockstore, S3Face)}, and the OpenAI face ({@code
   * "openai"} in {@link #urls()}) unless {@code openAi} is null. The caller keeps ownership of the
   * inference backend (and closes it after the gateway).
   */
  public static Gateway start(InetSocketAddress ipfsGateway, Blockstore blocks, S3Face s3, OpenAiFace openAi)
      throws Exception {
    return start(ipfsGateway, blocks, s3, openAi, DEFAULT_REQUEST_HEAD_TIMEOUT);
  }

  /** As {@link #start(InetSocketAddress, Blockstore, S3Face, OpenAiFace)}, with another {@link #DEFAULT_REQUEST_HEAD_TIMEOUT}. */
  public static Gateway start(InetSocketAddress ipfsGateway, Blockstore blocks, S3Face s3, OpenAiFace openAi,
      Duration requestHeadTimeout) throws Exception {
    Gateway g = new Gateway(Vertx.vertx(new VertxOptions().setWorkerPoolSize(WORKER_THREADS)), requestHeadTimeout);
    try {
      if (ipfsGateway != null) {
        g.listen("ipfsGateway", ipfsGateway, new IpfsGateway(g.vertx, blocks));
      }
      if (s3 != null) {
        g.listen("s3", s3.address(),
            new S3Handler(g.vertx, s3.metadata(), new ObjectData(blocks), s3.keeper(), s3.addressing(), s3.auth(),
                s3.maxObjectSize(), s3.maxConcurrentUploads()));
      }
      if (openAi != null) {
        g.listen("openai", openAi.address(),
            new OpenAiHandler(g.vertx, openAi.backend(), openAi.keys(), openAi.maxBodyBytes()));
      }
      return g;
    } catch (Exception e) {
      g.close();
      throw e;
    }
  }

  private void listen(String face, InetSocketAddress address, io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> handler)
      throws java.io.IOException {
    urls.put(face, HttpListener.listen(vertx, face, address,
        new HttpListener.Limits(MAX_INITIAL_LINE, MAX_HEADER_SIZE, requestHeadTimeout, IDLE_TIMEOUT, IDLE_TIMEOUT), handler));
  }

  /** Each face's base URL, e.g. {@code ipfsGateway → http://127.0.0.1:8080}. */
  public Map<String, URI> urls() {
    return Map.copyOf(urls);
  }

  @Override
  public void close() {
    String failure = HttpListener.close(vertx);
    if (failure != null) {
      System.getLogger(Gateway.class.getName()).log(System.Logger.Level.WARNING, "the gateway did not stop cleanly: {0}", failure);
    }
  }
}
