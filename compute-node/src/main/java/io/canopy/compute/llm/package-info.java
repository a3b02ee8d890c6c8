/**
 * The built-in LLM engine: llama-architecture GGUF models (F32, F16, Q8_0, Q4_0) run in pure Java,
 * deterministically — the same model, prompt, parameters and seed give the same tokens and bytes on
 * every JVM and CPU. Entry points: {@link io.canopy.compute.llm.LlamaModel#load},
 * {@link io.canopy.compute.llm.Session#generate}. Rules and the llama.cpp conformance check are in
 * docs/llm-engine.md.
 */
package io.canopy.compute.llm;
