#!/usr/bin/env bash
# The OpenAI face's overhead on one request (issue #6), in one run (OpenAiOverheadBenchMain, on
# gateway's test classpath): the same greedy completion of TOKENS tokens on a llama GGUF, and the
# same one-sentence MiniLM embedding, timed
#   (1) calling the runtime in process (the baseline),
#   (2) as a job over /canopy/compute/1.0.0 on 127.0.0.1 (Noise + Yamux, the receipt signed by the
#       node and verified by the caller),
#   (3) as an OpenAI HTTP request to the gateway (JSON in and out, the node picked from the
#       directory, the job as in (2), the receipt countersigned and fsynced to the receipt log).
# Each figure is the median of REPS calls after untimed warm-ups; the ratios are to (1).
#
#   bench/openai.sh [MODEL=compute-node/src/test/resources/llm/tiny-q8_0.gguf] [TOKENS=32] [REPS=41]
#
# On the tiny test model a completion takes about a millisecond, so the ratios show the fixed
# per-request cost (about what one fsync and two signatures take); with a real model they go to 1.
# Honours JAVA_HOME and TMPDIR.
set -euo pipefail
model=${1:-compute-node/src/test/resources/llm/tiny-q8_0.gguf}
tokens=${2:-32}
reps=${3:-41}
if ! [[ -f "$model" && "$tokens" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/openai.sh [MODEL=compute-node/src/test/resources/llm/tiny-q8_0.gguf] [TOKENS=32] [REPS=41]" >&2
  exit 2
fi
model=$(realpath -- "$model")
cd "$(dirname "$0")/.."
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-openai-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! mvn -B -o -q -pl gateway -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    "-Dmdep.outputFile=$work/cp.txt" >"$work/build.log" 2>&1; then
  echo "bench/openai.sh: build failed" >&2
  tail -40 "$work/build.log" >&2
  exit 1
fi
cp="$PWD/gateway/target/test-classes:$PWD/gateway/target/classes:$(cat "$work/cp.txt")"
"$java" -cp "$cp" io.canopy.gateway.bench.OpenAiOverheadBenchMain "$model" "$tokens" "$reps" 2>"$work/bench.log" \
  || { tail -40 "$work/bench.log" >&2; exit 1; }
