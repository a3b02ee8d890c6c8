#!/usr/bin/env bash
# libp2p stack throughput and connection setup on 127.0.0.1, in one run: one Yamux stream over
# Noise between two Canopy hosts, the same between two js-libp2p nodes (one node process), and
# plain Netty TCP loopback as the ceiling. Throughput is the median of 3 transfers of MIB MiB;
# connection setup (dial until the first ping round trip, fresh connection each time) the median
# of 10. MB/s are 10^6 bytes per second.
#
#   bench/p2p.sh [MIB=1024]
#
# Targets ("libp2p in Java"): Canopy >= 2x js-libp2p throughput and >= 0.3x raw TCP.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
if ! [[ "$mib" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bench/p2p.sh [MIB=1024]" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-p2p-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { # message log-file
  echo "bench/p2p.sh: $1" >&2
  [[ -f "$2" ]] && tail -40 "$2" >&2
  exit 1
}

# Build outside the timings. The dependency plugin is not in the offline repository, so the
# classpath comes from exec-maven-plugin (declared in the parent pom) echoing %classpath.
mvn -B -q -o test-compile -pl p2p -am >"$work/build.log" 2>&1 || fail "build failed" "$work/build.log"
mvn -B -q -o -Dstyle.color=never org.codehaus.mojo:exec-maven-plugin:3.5.0:exec -pl p2p \
  -Dexec.executable=echo -Dexec.classpathScope=test '-Dexec.args=%classpath' >"$work/cp.log" 2>&1 \
  || fail "cannot compute the classpath" "$work/cp.log"
cp=$(sed 's/\x1b\[[0-9;]*m//g' "$work/cp.log" | grep 'p2p/target/test-classes' | tail -1)
[[ -n "$cp" ]] || fail "no classpath in the exec output" "$work/cp.log"
# This checkout's classes first, ahead of the installed protocol-spec jar.
cp="$PWD/p2p/target/classes:$PWD/p2p/target/test-classes:$PWD/protocol-spec/target/classes:$cp"

if [[ ! -d interop/node_modules/libp2p ]]; then
  (cd interop && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1 || fail "npm ci failed" "$work/npm.log"
fi

"${JAVA_HOME:+$JAVA_HOME/bin/}java" -Dio.netty.leakDetection.level=DISABLED -cp "$cp" io.canopy.p2p.bench.P2pThroughputMain "$mib" \
  >"$work/java.out" 2>"$work/java.log" || fail "the Java benchmark failed" "$work/java.log"
(cd interop && node js/bench-throughput.mjs "$mib") >"$work/js.out" 2>"$work/js.log" \
  || fail "the js-libp2p benchmark failed" "$work/js.log"

field() { # file key: a number from the file's JSON line
  local v
  v=$(grep -o "\"$2\":[0-9.eE+-]*" "$1" | tail -1 | cut -d: -f2)
  [[ -n "$v" ]] || fail "no $2 in $(cat "$1")" /dev/null
  echo "$v"
}
raw=$(field "$work/java.out" rawTcpMBps)
canopy=$(field "$work/java.out" canopyMBps)
canopy_ms=$(field "$work/java.out" canopyConnectMs)
js=$(field "$work/js.out" jsMBps)
js_ms=$(field "$work/js.out" jsConnectMs)

printf '%s, %s MiB per transfer, %s cores, %s, node %s\n' \
  "$(date -u '+%F %T UTC')" "$mib" "$(nproc)" "$("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -1)" "$(node --version)"
awk -v raw="$raw" -v canopy="$canopy" -v js="$js" -v cms="$canopy_ms" -v jms="$js_ms" 'BEGIN {
  printf "%-36s %10s\n", "throughput, one stream", "MB/s"
  printf "%-36s %10.1f\n", "raw TCP (Netty, ceiling)", raw
  printf "%-36s %10.1f\n", "Canopy (Noise + Yamux)", canopy
  printf "%-36s %10.1f\n", "js-libp2p (Noise + Yamux)", js
  printf "%-36s %10.2f   (target >= 2.00)\n", "ratio Canopy / js-libp2p", canopy / js
  printf "%-36s %10.2f   (target >= 0.30)\n", "ratio Canopy / raw TCP", canopy / raw
  printf "%-36s %10s\n", "connect + first ping, median of 10", "ms"
  printf "%-36s %10.2f\n", "Canopy", cms
  printf "%-36s %10.2f\n", "js-libp2p", jms
}'
