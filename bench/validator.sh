#!/usr/bin/env bash
# The validator's costs (issue #7), in one run of three mains on validator's test classpath:
#   (1) PoaBenchMain: a storage proof for a 64 MiB file (256 KiB chunks, k = 20, 300 proofs, both
#       leaf layouts): bytes on the wire, prove and verify µs, next to the baseline of plain JDK
#       SHA-256 over the same proof's block bytes (verify_over_sha256);
#   (2) SettlementBenchMain: one epoch of 10,000 deals × 3 replicas and 100,000 countersigned
#       receipts settled on SQLite, with its parts and per-item µs, next to the baseline of the
#       same receipts' two signatures checked alone as Settler.checkInputs does
#       (settle_over_signature_checks);
#   (3) NetworkSimulationMain: NODES simulated nodes (no sockets) over EPOCHS epochs, seed 1:
#       storage and compute detection rates against the spec's predictions, payouts, run time.
# Timed figures are medians ((2)'s settle is one run); the ratios are to the baselines above.
#
#   bench/validator.sh [NODES=10000] [EPOCHS=100]
#
# About 2.5 minutes at the defaults on a 2-vCPU VM (the settlement's 200,000 Ed25519
# verifications run five times). Honours JAVA_HOME and TMPDIR.
set -euo pipefail
nodes=${1:-10000}
epochs=${2:-100}
if ! [[ "$nodes" =~ ^[1-9][0-9]*$ && "$epochs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/validator.sh [NODES=10000] [EPOCHS=100]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-validator-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! mvn -B -o -q -pl validator -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    "-Dmdep.outputFile=$work/cp.txt" >"$work/build.log" 2>&1; then
  echo "bench/validator.sh: build failed" >&2
  tail -40 "$work/build.log" >&2
  exit 1
fi
# Run from copies of the class directories (validator's and the reactor's), so that a build running
# meanwhile in this tree cannot pull classes from under a run of several minutes.
cp=""
n=0
for entry in "$PWD/validator/target/test-classes" "$PWD/validator/target/classes" $(tr ':' ' ' <"$work/cp.txt"); do
  if [[ -d "$entry" ]]; then
    n=$((n + 1))
    cp -r "$entry" "$work/classes-$n"
    entry="$work/classes-$n"
  fi
  cp="${cp:+$cp:}$entry"
done

# run NAME MAIN ARGS...: prints a header, runs the main, keeps its output in $work/NAME.out
run() {
  local name=$1 main=$2
  shift 2
  echo "== $name: $main $* ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
  local t0=$SECONDS
  "$java" -cp "$cp" "$main" "$@" 2>"$work/$name.log" | tee "$work/$name.out" \
    || { echo "bench/validator.sh: $main failed" >&2; tail -40 "$work/$name.log" >&2; exit 1; }
  echo "   ($((SECONDS - t0)) s)"
  echo
}
run poa io.canopy.validator.poa.PoaBenchMain
run settlement io.canopy.validator.settle.SettlementBenchMain
run simulation io.canopy.validator.sim.NetworkSimulationMain --nodes "$nodes" --epochs "$epochs" --seed 1

# field FILE KEY: every value of "KEY" in FILE's JSON, comma-separated
field() {
  grep -o "\"$2\": *[^,}]*" "$1" | sed 's/.*: *//; s/"//g' | paste -sd, - | sed 's/,/, /g'
}
echo "== summary"
echo "storage proof (raw leaves, dag-pb leaves): bytes mean $(field "$work/poa.out" proofBytesMean);" \
  "verify µs median $(field "$work/poa.out" verify_us_median), SHA-256 of the same bytes $(field "$work/poa.out" sha256_same_bytes_us_median):" \
  "verify/sha256 = $(field "$work/poa.out" verify_over_sha256)"
echo "settlement ($(field "$work/settlement.out" replicas) replicas + $(field "$work/settlement.out" receipts) receipts):" \
  "$(field "$work/settlement.out" settle_ms) ms = $(field "$work/settlement.out" settle_us_per_item) µs/item;" \
  "signature checks alone $(field "$work/settlement.out" signature_checks_alone_ms) ms" \
  "($(field "$work/settlement.out" signature_checks_us_per_receipt) µs/receipt): settle/signatures = $(field "$work/settlement.out" settle_over_signature_checks)"
grep '^summary:' "$work/simulation.out" | sed 's/^summary: /simulation: /'
