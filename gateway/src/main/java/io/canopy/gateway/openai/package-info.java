/**
 * The OpenAI face (docs/compatibility-openai.md): {@link io.canopy.gateway.openai.OpenAiOperation}
 * routes method and path to an operation; {@link io.canopy.gateway.openai.OpenAiApi} authenticates
 * ({@link io.canopy.gateway.openai.ApiKeys}), parses bodies ({@link
 * io.canopy.gateway.openai.EmbeddingsRequest}, {@link io.canopy.gateway.openai.ChatCompletionRequest},
 * {@link io.canopy.gateway.openai.CompletionRequest}) and dispatches to an {@link
 * io.canopy.gateway.openai.InferenceBackend}, with no HTTP in it (text generation, whole or
 * streamed through an {@link io.canopy.gateway.openai.EventStream}, is {@code TextGeneration});
 * {@link io.canopy.gateway.openai.OpenAiHandler} binds it to Vert.x; {@link
 * io.canopy.gateway.openai.OpenAiError} is the one error table.
 */
package io.canopy.gateway.openai;
