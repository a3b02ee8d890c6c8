/**
 * Text embeddings: {@link io.canopy.compute.embed.TextEmbedder} (the role) and {@link
 * io.canopy.compute.embed.OnnxEmbedder} (ONNX Runtime), which runs BERT-family sentence encoders
 * with mean pooling and L2 normalisation and bundles the quantised all-MiniLM-L6-v2 so a node
 * embeds out of the box. {@link io.canopy.compute.embed.WordPieceTokenizer} reproduces the
 * HuggingFace tokenizers pipeline a BERT {@code tokenizer.json} describes.
 */
package io.canopy.compute.embed;
