/**
 * The compute role: inference runtimes — the built-in deterministic engine for llama GGUF models
 * ({@code llm}) and ONNX Runtime embeddings ({@code embed}) — the model registry, the job
 * protocol {@code /canopy/compute/1.0.0} and signed receipts.
 */
package io.canopy.compute;
