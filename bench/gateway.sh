#!/usr/bin/env bash
# S3 gateway throughput and latency on 127.0.0.1, against nginx as the static-file ceiling, in one
# run: a fresh gateway-only daemon (`canopy daemon --roles gateway`, no storage nodes, so a PUT is
# acknowledged once its blocks are fsynced in this node's blockstore: W=1 on localhost) and nginx
# (sendfile on; files on the same filesystem as the daemon's blockstore). For each object size,
# S3BenchMain runs, with CONCURRENCY keep-alive connections and after an untimed warm-up, REPS
# repetitions of: REQUESTS S3 PUTs to the gateway (every body different), REQUESTS S3 GETs of those
# objects, REQUESTS GETs of same-sized files from nginx, REQUESTS WebDAV PUTs to nginx (an extra
# reference: nginx does not fsync), and SDK_GETS GETs through the AWS SDK's own client. S3 URLs are
# presigned by the AWS SDK before the timings; the bench's HTTP/1.1 client is the same for the
# gateway and nginx. Figures are medians over the repetitions; MB/s are 10^6 bytes per second.
#
#   bench/gateway.sh [SIZES_MIB=1,64] [REQUESTS=256,16] [CONCURRENCY=8] [REPS=3] [SDK_GETS=0]
#
# Targets: gateway GET >= 0.5x nginx GET; gateway PUT (W=1 on localhost) >= 0.3x gateway GET.
# Honours JAVA_HOME (the bench client's JVM), CANOPY_JAVA_OPTS (the daemon's JVM options, e.g.
# -XX:StartFlightRecording=filename=/tmp/gw.jfr), TMPDIR (the daemon's home and nginx's files),
# JFR=FILE (profile the daemon: a JFR recording with the `profile` settings, dumped to FILE by
# jcmd before the daemon stops; needs CANOPY_JAR), KEEP=1 (keep the work folder, with the logs, at the end) and CANOPY_JAR (run that canopy jar
# rather than ./canopy, which rebuilds cli/target/canopy.jar from the working tree when it changed).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-1,64}
requests=${2:-256,16}
conns=${3:-8}
reps=${4:-3}
sdk_gets=${5:-0}
if ! [[ "$sizes" =~ ^[0-9,]+$ && "$requests" =~ ^[0-9,]+$ && "$conns" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ \
      && "$sdk_gets" =~ ^[0-9]+$ ]]; then
  echo "usage: bench/gateway.sh [SIZES_MIB=1,64] [REQUESTS=256,16] [CONCURRENCY=8] [REPS=3] [SDK_GETS=0]" >&2
  exit 2
fi
nginx_bin=${NGINX:-/usr/sbin/nginx}
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-gateway-bench.XXXXXX")
daemon_pid=
nginx_pid=
cleanup() {
  if [[ -n "${JFR:-}" && -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    jcmd "$daemon_pid" JFR.dump name=gateway-bench "filename=$JFR" >"$work/jfr.log" 2>&1 \
      && echo "daemon profile: $JFR" >&2 || cat "$work/jfr.log" >&2
  fi
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  if [[ -n "$nginx_pid" ]] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true # graceful: the master stops its workers
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then
    echo "work folder kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { # message log-file
  echo "bench/gateway.sh: $1" >&2
  [[ -f "$2" ]] && tail -40 "$2" >&2
  exit 1
}

# Builds, outside the timings: the daemon's jar (./canopy rebuilds it when sources changed) and the
# driver; the driver's classpath comes from exec-maven-plugin echoing %classpath, as bench/p2p.sh.
canopy=(./canopy)
if [[ -n "${CANOPY_JAR:-}" ]]; then
  # shellcheck disable=SC2206 # CANOPY_JAVA_OPTS holds several options, split on spaces as ./canopy does
  canopy=("$java" ${CANOPY_JAVA_OPTS:-} -jar "$CANOPY_JAR")
fi
daemon_opts=()
if [[ -n "${JFR:-}" ]]; then
  [[ -n "${CANOPY_JAR:-}" ]] || fail "JFR=... needs CANOPY_JAR (./canopy takes its JVM options from CANOPY_JAVA_OPTS)" /dev/null
  daemon_opts=(-XX:StartFlightRecording=name=gateway-bench,settings=profile)
fi
"${canopy[@]}" version >"$work/build.log" 2>&1 || fail "building canopy failed" "$work/build.log"
mvn -B -q -o test-compile -pl interop -Dcanopy.skipNpm=true >>"$work/build.log" 2>&1 \
  || fail "building the driver failed" "$work/build.log"
mvn -B -q -o -Dstyle.color=never org.codehaus.mojo:exec-maven-plugin:3.5.0:exec -pl interop \
  -Dexec.executable=echo -Dexec.classpathScope=test '-Dexec.args=%classpath' >"$work/cp.log" 2>&1 \
  || fail "cannot compute the classpath" "$work/cp.log"
cp=$(sed 's/\x1b\[[0-9;]*m//g' "$work/cp.log" | grep 'interop/target/test-classes' | tail -1)
[[ -n "$cp" ]] || fail "no classpath in the exec output" "$work/cp.log"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_field() { grep -o "\"$2\":\"[^\"]*\"" "$1" | head -1 | cut -d'"' -f4 || true; }

# The gateway: a fresh home, a gateway-only daemon, keys for one account.
home="$work/home"
"${canopy[@]}" init --home "$home" --storage-max 100GB >"$work/init.log" 2>&1 || fail "canopy init failed" "$work/init.log"
exec "${canopy[0]}" "${daemon_opts[@]}" "${canopy[@]:1}" daemon --home "$home" --roles gateway --listen /ip4/127.0.0.1/tcp/0 --s3 127.0.0.1:0 \
  --ipfs-gateway 127.0.0.1:0 --rpc 127.0.0.1:0 --openai 127.0.0.1:0 >"$work/daemon.out" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 300); do
  grep -q '"s3"' "$work/daemon.out" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited" "$work/daemon.log"
  sleep 0.2
done
s3=$(json_field "$work/daemon.out" s3)
[[ -n "$s3" ]] || fail "no http.s3 in the daemon's ready line" "$work/daemon.log"
"${canopy[@]}" gateway keys create --account bench --home "$home" >"$work/keys.out" 2>"$work/keys.log" \
  || fail "creating keys failed" "$work/keys.log"
access=$(json_field "$work/keys.out" accessKeyId)
secret=$(json_field "$work/keys.out" secretAccessKey)

# nginx: static files from $work/www (same filesystem as $home/blocks), WebDAV PUT under /put/.
mkdir -p "$work/nginx/logs" "$work/www/put"
nginx_port=$(free_port)
user_line=
[[ "$(id -u)" == 0 ]] && user_line="user $(id -un) $(id -gn);"
cat >"$work/nginx/nginx.conf" <<CONF
$user_line
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_max_body_size 0;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location /put/ { dav_methods PUT; create_full_put_path on; }
  }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited" "$work/nginx/logs/error.log"
  sleep 0.1
done

echo "gateway $s3, nginx http://127.0.0.1:$nginx_port ($("$nginx_bin" -v 2>&1 | sed 's/.*: //')), work $work" >&2
"$java" -Xmx2g -cp "$cp" io.canopy.interop.bench.S3BenchMain "$s3" "$access" "$secret" bench \
  "http://127.0.0.1:$nginx_port/" "$work/www" "$sizes" "$requests" "$conns" "$reps" \
  "http://127.0.0.1:$nginx_port/put/" "$sdk_gets" "$daemon_pid" "$nginx_pid" >"$work/result.out" 2>"$work/bench.log" \
  || { cat "$work/bench.log" >&2; fail "the benchmark failed" "$work/daemon.log"; }
cat "$work/bench.log" >&2
printf '%s, %s cores, load average %s at the end, client %s, daemon %s\n' \
  "$(date -u '+%F %T UTC')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$("$java" -version 2>&1 | head -1)" "$(java -version 2>&1 | head -1)"
cat "$work/result.out"
