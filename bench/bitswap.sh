#!/usr/bin/env bash
# Bitswap throughput on 127.0.0.1, in one run and on the same generated file:
#   - Canopy to Canopy: node A imports the file, a fresh node B fetchDag's it (BitswapBenchMain),
#     with in-memory stores on both nodes and with file stores on both nodes;
#   - Helia to Helia: a provider Helia process, a fresh fetcher Helia node cats the file
#     (js/bench-bitswap.mjs; in-memory stores, Bitswap 1.2.0 only);
#   - the ceiling: one libp2p stream (Noise + Yamux) between two Canopy hosts, from the Java side
#     of bench/p2p.sh (P2pThroughputMain), which also reports raw TCP.
# Every DAG is CIDv1, raw leaves, 256 KiB chunks, 174 links per node. Each figure is the median
# over ROUNDS rounds (see below). MB/s are 10^6 bytes of file per second.
#
#   bench/bitswap.sh [MIB=256] [ROUNDS=3]
#
# Targets: Canopy >= 3x Helia, and Canopy >= 0.5x the one-stream libp2p ceiling.
# Honours JAVA_HOME (the JVM that runs the Java benchmarks) and TMPDIR (data and file stores).
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-256}
runs=${2:-3}
if ! [[ "$mib" =~ ^[1-9][0-9]*$ && "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/bitswap.sh [MIB=256] [ROUNDS=3]" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-bitswap-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

fail() { # message log-file
  echo "bench/bitswap.sh: $1" >&2
  [[ -f "$2" ]] && tail -40 "$2" >&2
  exit 1
}

# npm packages first (the interop build would otherwise run `npm ci` itself).
if [[ ! -d interop/node_modules/helia ]]; then
  (cd interop && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1 || fail "npm ci failed" "$work/npm.log"
fi

# Build outside the timings; the classpath comes from exec-maven-plugin echoing %classpath, as in
# bench/p2p.sh, with this checkout's classes put ahead of the installed jars.
mvn -B -q -o test-compile -pl interop -am -Dcanopy.skipNpm=true >"$work/build.log" 2>&1 \
  || fail "build failed" "$work/build.log"
mvn -B -q -o -Dstyle.color=never org.codehaus.mojo:exec-maven-plugin:3.5.0:exec -pl interop \
  -Dexec.executable=echo -Dexec.classpathScope=test '-Dexec.args=%classpath' >"$work/cp.log" 2>&1 \
  || fail "cannot compute the classpath" "$work/cp.log"
cp=$(sed 's/\x1b\[[0-9;]*m//g' "$work/cp.log" | grep 'interop/target/test-classes' | tail -1)
[[ -n "$cp" ]] || fail "no classpath in the exec output" "$work/cp.log"
for m in cli content p2p protocol-spec; do
  cp="$PWD/$m/target/classes:$cp"
done
cp="$PWD/interop/target/test-classes:$PWD/p2p/target/test-classes:$cp"

# Incompressible, reproducible input (as bench/content.sh), and a smaller warm-up file.
data="$work/data.bin"
warm="$work/warmup.bin"
head -c $((mib * 1048576)) < <(openssl enc -aes-128-ctr -pass pass:canopy -nosalt -pbkdf2 -in /dev/zero 2>/dev/null) >"$data"
warm_mib=$((mib < 64 ? mib : 64))
head -c $((warm_mib * 1048576)) < <(openssl enc -aes-128-ctr -pass pass:canopy-warmup -nosalt -pbkdf2 -in /dev/zero 2>/dev/null) >"$warm"

# Rounds interleave the three benchmarks (one transfer of each per round, after each tool's own
# untimed warm-up), so load from elsewhere on a shared machine falls on all of them alike; each
# figure is then the median over the rounds.
jvm_opts=(-Xmx$((2 * mib + 1024))m -Dio.netty.leakDetection.level=DISABLED)
field() { # file key: a number from the file's JSON line
  local v
  v=$(grep -o "\"$2\":[0-9.eE+-]*" "$1" | tail -1 | cut -d: -f2)
  [[ -n "$v" ]] || fail "no $2 in $(cat "$1")" /dev/null
  echo "$v"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A all
for round in $(seq "$runs"); do
  "$java" "${jvm_opts[@]}" -cp "$cp" io.canopy.interop.bench.BitswapBenchMain "$data" "$warm" 1 memory,file "$work" \
    >"$work/canopy.out" 2>>"$work/canopy.log" || fail "the Canopy Bitswap benchmark failed" "$work/canopy.log"
  (cd interop && node --max-old-space-size=$((2 * mib + 1024)) js/bench-bitswap.mjs "$data" "$warm" 1) \
    >"$work/helia.out" 2>>"$work/helia.log" || fail "the Helia Bitswap benchmark failed" "$work/helia.log"
  "$java" -Dio.netty.leakDetection.level=DISABLED -cp "$cp" io.canopy.p2p.bench.P2pThroughputMain "$mib" \
    >"$work/stream.out" 2>>"$work/stream.log" || fail "the libp2p stream benchmark failed" "$work/stream.log"
  all[mem]+="$(field "$work/canopy.out" canopyMemoryMBps) "
  all[file]+="$(field "$work/canopy.out" canopyFileMBps) "
  all[helia]+="$(field "$work/helia.out" heliaMBps) "
  all[stream]+="$(field "$work/stream.out" canopyMBps) "
  all[raw]+="$(field "$work/stream.out" rawTcpMBps) "
  echo "round $round: Canopy memory $(field "$work/canopy.out" canopyMemoryMBps) file $(field "$work/canopy.out" canopyFileMBps) helia $(field "$work/helia.out" heliaMBps) stream $(field "$work/stream.out" canopyMBps) MB/s" >&2
done
med() { tr ' ' '\n' <<<"${all[$1]}" | grep . | median; }
canopy_mem=$(med mem)
canopy_file=$(med file)
helia=$(med helia)
stream=$(med stream)
raw=$(med raw)
echo "per round (MB/s): memory [${all[mem]% }] file [${all[file]% }] helia [${all[helia]% }] stream [${all[stream]% }] raw [${all[raw]% }]"

printf '%s, %s MiB file, median of %s rounds, %s cores, %s, node %s\n' \
  "$(date -u '+%F %T UTC')" "$mib" "$runs" "$(nproc)" "$("$java" -version 2>&1 | head -1)" "$(node --version)"
awk -v mem="$canopy_mem" -v file="$canopy_file" -v helia="$helia" -v stream="$stream" -v raw="$raw" 'BEGIN {
  printf "%-44s %10s\n", "Bitswap, one file between two nodes", "MB/s"
  printf "%-44s %10.1f\n", "Canopy -> Canopy, memory stores", mem
  printf "%-44s %10.1f\n", "Canopy -> Canopy, file stores (fdatasync)", file
  printf "%-44s %10.1f\n", "Helia -> Helia, memory stores", helia
  printf "%-44s %10.1f\n", "one libp2p stream, Canopy (ceiling)", stream
  printf "%-44s %10.1f\n", "raw TCP (Netty)", raw
  printf "%-44s %10.2f   (target >= 3.00)\n", "ratio Canopy (memory) / Helia", mem / helia
  printf "%-44s %10.2f   (target >= 0.50)\n", "ratio Canopy (memory) / libp2p stream", mem / stream
  printf "%-44s %10.2f\n", "ratio Canopy (file) / libp2p stream", file / stream
}'
