// llama.cpp's generation speed on a GGUF, the ceiling for bench/compute.sh. Runs llama.cpp through
// node-llama-cpp's prebuilt CPU binary (npm @node-llama-cpp/linux-x64; never built from source,
// nothing downloaded), with the same prompt text as ComputeBenchMain, greedy (temperature 0).
//
//   node bench.mjs MODEL.gguf [TOKENS=128] [REPS=5] [PROMPT]
//
// For threads = 1 and threads = all cores: one untimed warm-up generation, then REPS timed ones,
// each from an empty KV cache. One generation: evaluate BOS + the prompt's tokens (timed until the
// first generated token comes back: prompt eval, which llama.cpp does as one batch), then
// TOKENS - 1 more tokens one at a time (generation tokens/s). Prints medians as one JSON line.
import os from "node:os";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const DEFAULT_PROMPT =
  "The old lighthouse keeper climbed the spiral stairs every evening at dusk, counting each step.";
const [modelPath, tokensArg = "128", repsArg = "5", prompt = DEFAULT_PROMPT] = process.argv.slice(2);
const tokens = Number(tokensArg);
const reps = Number(repsArg);
if (!modelPath || !(tokens >= 2) || !(reps >= 1)) {
  console.error("usage: node bench.mjs MODEL.gguf [TOKENS>=2] [REPS>=1] [PROMPT]");
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// gpu: false and build: "never": only the prebuilt CPU binary, which fails loudly if absent
// rather than trying to download and compile llama.cpp from GitHub.
const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  logLevel: LlamaLogLevel.error,
  maxThreads: 0, // no cap: a context gets exactly the threads it asks for
});
const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: true});
const promptTokens = [...(model.tokens.bos != null ? [model.tokens.bos] : []), ...model.tokenize(prompt)];
const cores = os.availableParallelism();
const contextSize = Math.min(model.trainContextSize, promptTokens.length + tokens + 8);
if (promptTokens.length + tokens > contextSize) {
  console.error(`prompt (${promptTokens.length} tokens) + ${tokens} tokens do not fit the context of ${contextSize}`);
  process.exit(2);
}

async function generateOnce(sequence) {
  await sequence.clearHistory();
  const out = [];
  const t0 = performance.now();
  let tFirst = 0;
  for await (const token of sequence.evaluate(promptTokens, {temperature: 0, yieldEogToken: true})) {
    out.push(token);
    if (out.length === 1) tFirst = performance.now();
    if (out.length >= tokens) break; // an EOG token is yielded and generation goes on, as it counts
  }
  const tEnd = performance.now();
  return {
    promptTps: promptTokens.length / ((tFirst - t0) / 1e3),
    genTps: (out.length - 1) / ((tEnd - tFirst) / 1e3),
    out,
  };
}

const result = {
  engine: "llama.cpp",
  llamaCppRelease: llama.llamaCppRelease?.release,
  nodeLlamaCpp: "3.21.1",
  buildType: llama.buildType,
  model: modelPath.split("/").pop(),
  cores,
  promptTokens: promptTokens.length,
  tokens,
  reps,
};
for (const threads of cores > 1 ? [1, cores] : [1]) {
  const context = await model.createContext({
    contextSize,
    sequences: 1,
    threads: {ideal: threads, min: threads},
    flashAttention: false,
  });
  const sequence = context.getSequence();
  const warm = await generateOnce(sequence); // untimed: page-in, thread pool start
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await generateOnce(sequence));
  const key = threads === 1 ? "1" : "All";
  result[`genTokensPerSec${key}`] = median(runs.map((r) => r.genTps));
  result[`promptTokensPerSec${key}`] = median(runs.map((r) => r.promptTps));
  result[`genRuns${key}`] = runs.map((r) => Number(r.genTps.toFixed(1)));
  result.generated = warm.out.length;
  result.firstTokens = warm.out.slice(0, 16);
  await context.dispose();
}
await model.dispose();
await llama.dispose();
console.log(JSON.stringify(result));
