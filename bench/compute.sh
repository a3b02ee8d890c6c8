#!/usr/bin/env bash
# Compute-node speed (issue #6), in one run:
#   - the built-in llama engine (ComputeBenchMain, compute-node's test classpath): generation
#     tokens/s with 1 thread and with one thread per core, and prompt-eval tokens/s, on a llama
#     GGUF. Each repetition is a fresh session generating TOKENS tokens greedily after BOS + a fixed
#     prompt; prompt eval is timed to the first generated token, generation over the TOKENS - 1
#     tokens after it;
#   - llama.cpp as the ceiling, when bench/llama-cpp/node_modules is there or `npm ci` can put it
#     there: the same model, prompt text, timing points, thread counts and greedy decoding through
#     the prebuilt CPU binary of node-llama-cpp 3.21.1 (bench/llama-cpp/bench.mjs; never built
#     from source, nothing fetched from GitHub). Its prompt eval is one batch, ours token by token;
#   - MiniLM embeddings/s (the bundled quantised all-MiniLM-L6-v2) on a fixed corpus of 64
#     sentences of mixed length, in calls of 1 and of 32 inputs, with the default batch mode (AUTO:
#     one ONNX run per input for this model, so a vector depends on its text alone) and padded
#     batches.
# All after untimed warm-ups. Each run reports the median of its REPS repetitions; ROUNDS rounds
# interleave the two engines and a figure is the median over the rounds (per-round in brackets).
#
#   bench/compute.sh [MODEL=compute-node/src/test/resources/llm/tiny-q8_0.gguf] [TOKENS=128] [REPS=5] [ROUNDS=3]
#
# Target: Canopy >= 0.5x llama.cpp single-thread generation tokens/s. The bundled models are tiny
# (64-dim, 2 layers, random weights): on them a token costs about a millisecond, so the
# figures weigh per-token overheads (sampling over 32000 logits, thread hand-offs, node's async
# calls) more than the matrix work a real model spends its time on; pass a real GGUF for a real
# figure. Honours JAVA_HOME (the JVM that runs ComputeBenchMain) and TMPDIR.
set -euo pipefail
model=${1:-compute-node/src/test/resources/llm/tiny-q8_0.gguf}
tokens=${2:-128}
reps=${3:-5}
rounds=${4:-3}
if ! [[ -f "$model" && "$tokens" =~ ^[1-9][0-9]*$ && "$tokens" -ge 2 && "$reps" =~ ^[1-9][0-9]*$ \
      && "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/compute.sh [MODEL=compute-node/src/test/resources/llm/tiny-q8_0.gguf] [TOKENS=128] [REPS=5] [ROUNDS=3]" >&2
  [[ -f "$model" ]] || echo "no such model file: $model" >&2
  exit 2
fi
model=$(realpath -- "$model")
cd "$(dirname "$0")/.."
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-compute-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { # message log-file
  echo "bench/compute.sh: $1" >&2
  [[ -f "$2" ]] && tail -40 "$2" >&2
  exit 1
}

# Build outside the timings: compute-node's test classes (and the modules it needs, from this
# checkout), and its test classpath from maven-dependency-plugin.
mvn -B -o -q -pl compute-node -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  "-Dmdep.outputFile=$work/cp.txt" >"$work/build.log" 2>&1 || fail "build failed" "$work/build.log"
cp="$PWD/compute-node/target/test-classes:$PWD/compute-node/target/classes:$(cat "$work/cp.txt")"

# llama.cpp through node-llama-cpp, in its own npm folder. Its postinstall would look for a
# llama.cpp build and may try to download and compile one from GitHub: skipped (package.json's
# config and the environment variable; npm 11 does not run it anyway), the prebuilt
# @node-llama-cpp/linux-x64 binary is all bench.mjs uses.
llama_cpp=1
if [[ ! -d bench/llama-cpp/node_modules/node-llama-cpp ]]; then
  if ! (cd bench/llama-cpp && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
    echo "bench/compute.sh: npm ci in bench/llama-cpp failed; running without the llama.cpp ceiling" >&2
    tail -5 "$work/npm.log" >&2
    llama_cpp=0
  fi
fi

# Rounds interleave the two engines (one ComputeBenchMain and one bench.mjs run each, every run
# with its own warm-up and REPS repetitions), so load from elsewhere on a shared machine falls on
# both alike; the embeddings run once, in the first round. A figure is the median over the rounds
# of each round's median.
for round in $(seq "$rounds"); do
  parts=llm
  [[ "$round" == 1 ]] && parts=llm,embed
  "$java" "-Dcanopy.bench.parts=$parts" -cp "$cp" io.canopy.compute.bench.ComputeBenchMain "$model" "$tokens" "$reps" \
    >"$work/canopy.$round.out" 2>"$work/canopy.log" || fail "ComputeBenchMain failed" "$work/canopy.log"
  [[ -s "$work/canopy.log" ]] && cat "$work/canopy.log" >&2
  if [[ "$llama_cpp" == 1 ]]; then
    if ! (cd bench/llama-cpp && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true node bench.mjs "$model" "$tokens" "$reps") \
        >"$work/llama.$round.out" 2>"$work/llama.log"; then
      echo "bench/compute.sh: the llama.cpp benchmark failed; no ceiling in this run" >&2
      tail -20 "$work/llama.log" >&2
      llama_cpp=0
    fi
  fi
done

field() { # file key: a number, string or [...] list from the file's JSON lines
  local v
  v=$(grep -o "\"$2\":\(\[[^]]*\]\|\"[^\"]*\"\|[0-9.eE+-]*\)" "$1" | head -1 | cut -d: -f2- | tr -d '"')
  [[ -n "$v" ]] || fail "no $2 in $1" /dev/null
  echo "$v"
}
med() { # engine key: the median over the rounds, then the per-round figures in brackets
  local f vals=()
  for f in "$work/$1".*.out; do vals+=("$(field "$f" "$2")"); done
  printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.1f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
  if ((${#vals[@]} > 1)); then
    printf ' [%s]' "$(printf '%s\n' "${vals[@]}" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1}')"
  fi
}
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f", a / b }'; }

first="$work/canopy.1.out"
cores=$(field "$first" cores)
echo "# raw"
cat "$work"/canopy.*.out
[[ "$llama_cpp" == 1 ]] && cat "$work"/llama.*.out
echo
printf '# %s · %s tokens after a %s-token prompt · %s reps × %s rounds · %s cores · %s\n' "$(basename "$model")" \
  "$tokens" "$(field "$first" promptTokens)" "$reps" "$rounds" "$cores" \
  "$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.runtime.version/ {print "JDK " $2}')"
rows=("generation, 1 thread:genTokensPerSec1:≥ 0.5" "generation, $cores threads:genTokensPerSecAll:"
      "prompt eval, 1 thread:promptTokensPerSec1:" "prompt eval, $cores threads:promptTokensPerSecAll:")
c1=$(med canopy genTokensPerSec1)
ca=$(med canopy genTokensPerSecAll)
if [[ "$llama_cpp" == 1 ]]; then
  echo "# ceiling: llama.cpp $(field "$work/llama.1.out" llamaCppRelease) ($(field "$work/llama.1.out" buildType) binary of node-llama-cpp $(field "$work/llama.1.out" nodeLlamaCpp))"
  echo
  echo "| tokens/s (median) | Canopy | llama.cpp | Canopy / llama.cpp | target |"
  echo "|---|---|---|---|---|"
  for row in "${rows[@]}"; do
    IFS=: read -r label key target <<<"$row"
    c=$(med canopy "$key")
    l=$(med llama "$key")
    echo "| $label | $c | $l | $(ratio "$c" "$l") | $target |"
  done
  same=no
  [[ "$(field "$first" firstTokens)" == "$(field "$work/llama.1.out" firstTokens)" ]] && same=yes
  echo "| same first 16 greedy tokens | $same | | | |"
  echo "| $cores threads / 1 thread (generation) | $(ratio "$ca" "$c1") | $(ratio "$(med llama genTokensPerSecAll)" \
    "$(med llama genTokensPerSec1)") | | |"
else
  echo
  echo "| tokens/s (median) | Canopy |"
  echo "|---|---|"
  for row in "${rows[@]}"; do
    IFS=: read -r label key target <<<"$row"
    echo "| $label | $(med canopy "$key") |"
  done
  echo "| $cores threads / 1 thread (generation) | $(ratio "$ca" "$c1") |"
fi
echo
b1=$(field "$first" embedPerSecBatch1)
b32=$(field "$first" embedPerSecBatch32)
b32p=$(field "$first" embedPerSecBatch32Padded)
echo "| all-MiniLM-L6-v2 (quantised), $(field "$first" tokensPerInput) tokens/input | embeddings/s | / batch 1 |"
echo "|---|---|---|"
echo "| batch 1 | $b1 | 1.00 |"
echo "| batch 32 (AUTO: one run per input) | $b32 | $(ratio "$b32" "$b1") |"
echo "| batch 32 (PADDED: one run per call) | $b32p | $(ratio "$b32p" "$b1") |"
