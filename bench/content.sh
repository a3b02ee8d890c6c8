#!/usr/bin/env bash
# Content-layer throughput, side by side with `openssl dgst -sha256` on the same file in the
# same run (the baseline), as medians of N runs. Prints MiB/s and the ratio to openssl. A second
# baseline, `dd conv=fsync` copying the file, is the disk's own durable-write speed: the ceiling
# for `add`, which must fsync every block before it reports the CID.
#
#   bench/content.sh [SIZE_MIB=1024] [RUNS=3]
#
# Targets (issue #2): add --only-hash >= 1.0x openssl, add >= 0.6x, cat >= 1.0x.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

./canopy version >/dev/null   # builds the jar first if needed, outside the timings
file="$work/data.bin"
# Incompressible, reproducible input.
head -c $((size_mib * 1048576)) < <(openssl enc -aes-128-ctr -pass pass:canopy -nosalt -pbkdf2 -in /dev/zero 2>/dev/null) > "$file"
export CANOPY_HOME="$work/home"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# Setups run untimed; `sync` lets the previous run's writes and deletes settle first.
fresh_home() { rm -rf "$CANOPY_HOME"; ./canopy init >/dev/null; sync; }
fresh_copy() { rm -f "$work/copy"; sync; }

declare -A med
measure() { # name setup command...: runs setup (untimed) before each timed run
  local name=$1 setup=$2; shift 2
  local times=()
  for _ in $(seq "$runs"); do $setup; times+=("$(seconds "$@")"); done
  med[$name]=$(printf '%s\n' "${times[@]}" | median)
}

measure openssl true openssl dgst -sha256 "$file"
measure dd-fsync fresh_copy dd if="$file" of="$work/copy" bs=1M conv=fsync status=none
measure only-hash true ./canopy add -Q --only-hash "$file"
measure add fresh_home ./canopy add -Q "$file"
cid=$(./canopy add -Q "$file")
measure cat true bash -c "./canopy cat $cid > /dev/null"

printf '%s, %d MiB, median of %d runs, %s, %d cores\n' "$(date -u +%F)" "$size_mib" "$runs" "$(java -version 2>&1 | head -1)" "$(nproc)"
printf '%-22s %10s %10s %8s\n' step seconds MiB/s ratio
rm -f "$work/copy"
for name in openssl dd-fsync only-hash add cat; do
  t=${med[$name]}
  printf '%-22s %10.2f %10.1f %8.2f\n' "$name" "$t" "$(echo "$size_mib / $t" | bc -l)" "$(echo "${med[openssl]} / $t" | bc -l)"
done
