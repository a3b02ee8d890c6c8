#!/usr/bin/env bash
# The reliability suite (issue #9, docs/reliability.md) at full length, in four parts:
#   (1) fuzzing: every module's *DecodersFuzzTest fuzzed for FUZZ each (Jazzer; crashes are written
#       under the module's src/test/resources/…/<Class>Inputs/ and replayed first by every later run);
#   (2) abuse and access: the flood/slowloris/huge-frame tests with honest-peer latency, and the
#       access-control and path-traversal tests;
#   (3) the nemesis: NemesisTest with WAVE-second fault waves repeated ROUNDS times against a devnet
#       under upload load (kill -9, SIGSTOP, a partition, a full disk, skewed clocks, a lost node),
#       then the checks that nothing acknowledged was lost and the time to recover;
#   (4) load: LoadTest, mixed S3/IPFS/embeddings load on a devnet for LOAD seconds.
# `mvn -B verify` (CI) runs the same tests in their short form: 3 s of fuzzing per module, 6-s waves
# once, 20 s of load.
#
#   bench/reliability.sh [FUZZ=10m] [WAVE=30] [ROUNDS=3] [LOAD=300]
#
# Needs root (nftables, tmpfs, a second user for the partition), nft (Debian package nftables) and
# Node.js/npm for the interop module. About 80 minutes at the defaults
# (fuzzing 7 modules × 10 min dominates). Prints each part's report; keeps everything in
# bench-out/reliability-DATE/.
set -euo pipefail
fuzz=${1:-10m}
wave=${2:-30}
rounds=${3:-3}
load=${4:-300}
if ! [[ "$fuzz" =~ ^[1-9][0-9]*[smh]$ && "$wave" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ && "$load" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/reliability.sh [FUZZ=10m] [WAVE=30] [ROUNDS=3] [LOAD=300]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
out="bench-out/reliability-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
echo "reliability suite: fuzz $fuzz per module, nemesis waves of ${wave} s × $rounds, load ${load} s; output in $out" >&2
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/machine.txt"

# part NAME MAVEN-ARGS...: runs Maven, keeps its log, prints the lines the tests print as figures.
part() {
  local name=$1
  shift
  echo "== $name" | tee -a "$out/summary.txt"
  local status=0
  mvn -B "$@" >"$out/$name.log" 2>&1 || status=$?
  grep -E "^(Done [0-9]+ runs|#[0-9]+.*DONE)|nemesis report|^  (baseline|A[0-9]|B[0-9]|C:|total|time to recover|  gateway)|load report|honest|Tests run:.*Fail|FAIL|BUILD" \
    "$out/$name.log" | tee -a "$out/summary.txt" || true
  if [[ $status != 0 ]]; then
    echo "$name FAILED (exit $status); see $out/$name.log" | tee -a "$out/summary.txt"
  fi
  return 0
}

mvn -B -q install -DskipTests >"$out/build.log" 2>&1 || { echo "build failed; see $out/build.log" >&2; exit 1; }
part fuzz test-compile surefire:test@fuzz -pl '!interop' -Pfuzz "-Dcanopy.fuzz.duration=$fuzz"
part abuse-and-access test -pl p2p,content,gateway,cli -Dtest='*AbuseTest,LocalApiSlowlorisTest,AccessControlTest,PathTraversalTest' \
  -Dsurefire.failIfNoSpecifiedTests=false
part nemesis test -pl interop -Dtest=NemesisTest -Dsurefire.failIfNoSpecifiedTests=false \
  "-Dcanopy.nemesis.waveSeconds=$wave" "-Dcanopy.nemesis.rounds=$rounds"
part load test -pl interop -Dtest=LoadTest -Dsurefire.failIfNoSpecifiedTests=false "-Dcanopy.load.seconds=$load"
echo "summary: $out/summary.txt" >&2
if grep -q "FAILED" "$out/summary.txt"; then
  exit 1
fi
