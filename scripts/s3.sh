#!/usr/bin/env bash
# s3.sh start|stop|status [PORT] -- runs a real S3 server (the SeaweedFS S3
# gateway, Apache-2.0) on 127.0.0.1:PORT, so that snapbed's S3 client can be
# tested against a server that really checks AWS SigV4 signatures, part sizes
# and ETags (s3rver, the npm fake, checks none of them).
#
# Why SeaweedFS: it is Apache-2.0 and `weed server -s3` runs master, volume
# server, filer and S3 gateway in one process (MinIO is AGPL and unmaintained).
# Its identities file (-s3.config) turns on signature checking; without one
# the gateway lets every request in.
#
# The weed binary is built once from the pinned module version with Go and
# cached in ${SNAPBED_CACHE:-$HOME/.cache/snapbed}/bin/weed (next to it,
# weed.version records the pin; a changed pin rebuilds). `go install
# MODULE/weed@VERSION` is refused by Go for this module (its go.mod has a
# replace directive), so the script downloads the module with `go mod download`
# and runs `go install ./weed` inside it, with GOBIN pointing into the cache.
# The first build takes many minutes on a small machine.
#
# Ports (all bound to 127.0.0.1): S3 = PORT (default 18333), S3 gRPC = PORT+1,
# master = PORT+2 (gRPC PORT+3), volume = PORT+4 (gRPC PORT+5),
# filer = PORT+6 (gRPC PORT+7). Iceberg/Lance catalogs and telemetry are off.
#
# State (data, s3.json, weed.log, weed.pid) lives in a fresh directory,
# ${S3_DIR:-/tmp/snapbed-s3-PORT}, that `stop` removes again. The log of a
# start that fails is kept in ${SNAPBED_CACHE:-$HOME/.cache/snapbed}/logs/
# (its path and last lines are printed).
#
# Test credentials (fixed; the only identity, so unsigned and wrongly signed
# requests are refused): access key snapbed-test-key, secret
# snapbed-test-secret, region us-east-1, path-style URLs. Buckets created at
# start: snapbed-test, snapbed-ci. Buckets are NOT auto-created on upload
# (-s3.autoCreateBucket=false), as on AWS.
#
#   start  prints http://127.0.0.1:PORT as its last line; already running -> exit 0
#   stop   SIGTERM, then SIGKILL after S3_STOP_TIMEOUT s; not running -> exit 0
#   status exit 0 when running, 3 when not
#
# Environment: SNAPBED_CACHE, S3_DIR, WEED_VERSION (module version pin),
# WEED_BIN (use this weed binary, do not build), WEED_BUILD_JOBS (go -p, 2),
# S3_START_TIMEOUT (60), S3_STOP_TIMEOUT (20).
set -euo pipefail

me="s3.sh"
die() { echo "$me: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status [PORT]" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 2 ] || usage
cmd="$1"
port="${2:-18333}"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65527 ] \
    || die "PORT must be a number from 1024 to 65527, got '$port'"

host=127.0.0.1
s3_grpc=$((port + 1))
master_port=$((port + 2)); master_grpc=$((port + 3))
volume_port=$((port + 4)); volume_grpc=$((port + 5))
filer_port=$((port + 6));  filer_grpc=$((port + 7))
all_ports="$port $s3_grpc $master_port $master_grpc $volume_port $volume_grpc $filer_port $filer_grpc"

module="github.com/seaweedfs/seaweedfs"
pin="${WEED_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
cache="${SNAPBED_CACHE:-$HOME/.cache/snapbed}"
bindir="$cache/bin"
dir="${S3_DIR:-/tmp/snapbed-s3-$port}"
pidfile="$dir/weed.pid"
log="$dir/weed.log"
start_timeout="${S3_START_TIMEOUT:-60}"
stop_timeout="${S3_STOP_TIMEOUT:-20}"
marker=".snapbed-s3"      # marks a directory this script owns and may delete

access_key="snapbed-test-key"
secret_key="snapbed-test-secret"
region="us-east-1"
buckets="snapbed-test snapbed-ci"

# --- helpers ---------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

# pid -> 0 while the process runs (a zombie has exited). Liveness is never
# read from /proc/PID/cmdline: that reads empty for a moment while the
# process execs, and was once taken for "exited" (the script then killed
# the server it had just started).
alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(sed -n 's/^[0-9]* (.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != Z ]
}

# pid -> its command line, read again while it is empty and the process
# lives (an exec in progress); exit 1 when the process is gone.
cmdline_of() {
    local cl
    for _ in $(seq 1 40); do
        alive "$1" || return 1
        cl="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true)"
        if [ -n "$cl" ]; then printf '%s\n' "$cl"; return 0; fi
        sleep 0.05
    done
    return 1
}

# pid -> 0 when it is a live `weed server` for this PORT (checks the command
# line, so a recycled pid is never mistaken for ours).
is_our_weed() {
    local cl
    cl="$(cmdline_of "${1:-}")" || return 1
    [[ "$cl" == *" server "* && "$cl" == *" -s3.port=$port "* ]]
}

# A failed start's log outlives the state directory (which `stop` removes):
# kept in $cache/logs/, its path and last lines printed.
keep_log() { # reason
    local kept
    kept="$cache/logs/s3-$port-$(date +%Y%m%d-%H%M%S)-$$.log"
    mkdir -p "$cache/logs"
    { echo "# $me start on port $port failed: $1"; cat "$log" 2>/dev/null; } >"$kept" || kept="$log"
    echo "$me: log of the failed start kept in $kept; last lines:" >&2
    tail -n 40 "$kept" >&2 || true
}

# pids in the session led by $1 (weed is started with setsid), except $1.
session_members() {
    ps -e -o pid=,sid= 2>/dev/null | awk -v s="$1" '$2 == s && $1 != s { print $1 }'
}

read_pid() { [ -f "$pidfile" ] && cat "$pidfile" 2>/dev/null || true; }

# Signed request with the test credentials: s3curl ARGS... (curl 7.88 does not
# add x-amz-content-sha256, so it is sent, and then signed, here).
s3curl() {
    curl -sS --max-time 10 --aws-sigv4 "aws:amz:$region:s3" \
        --user "$access_key:$secret_key" \
        -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# --- weed binary -------------------------------------------------------------
ensure_weed() {
    if [ -n "${WEED_BIN:-}" ]; then
        [ -x "$WEED_BIN" ] || die "WEED_BIN=$WEED_BIN is not an executable file"
        weed="$WEED_BIN"
        return
    fi
    weed="$bindir/weed"
    local stamp="$bindir/weed.version" want="$module@$pin"
    if [ -x "$weed" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
        return
    fi
    command -v go >/dev/null || die "go is not installed: it is needed once to build SeaweedFS's weed ($want)"
    mkdir -p "$bindir"
    # One build at a time (two starts on different ports may race here); the
    # lock fd lives only in this subshell, so weed never inherits it.
    ( if command -v flock >/dev/null; then flock 9; fi; build_weed "$want" "$stamp" ) \
        9>"$bindir/.weed-build.lock" || exit 1
}

build_weed() { # want stamp -- runs under the build lock
    local want="$1" stamp="$2"
    if [ -x "$weed" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
        return 0   # another start built it while we waited
    fi
    local blog="$bindir/weed-build.log" jobs="${WEED_BUILD_JOBS:-2}" t0 moddir tmpbin
    echo "$me: building SeaweedFS weed $pin with $(go env GOVERSION) (-p $jobs) into $weed;"
    echo "$me: this one-time build is running now and may take 10-20 minutes (log: $blog) ..."
    t0=$(date +%s)
    : >"$blog"
    # Outside any module (cd /): a plain download into the module cache. Its
    # JSON answer names the directory ("Dir") or the problem ("Error").
    (cd / && go mod download -json "$want") >>"$blog" 2>&1 || true
    moddir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$blog")"
    if [ -z "$moddir" ] || [ ! -d "$moddir/weed" ]; then
        tail -n 20 "$blog" >&2
        die "could not download $want with 'go mod download' (output above, full log $blog)"
    fi
    tmpbin="$(mktemp -d "$bindir/.build.XXXXXX")"
    if ! (cd "$moddir" && GOBIN="$tmpbin" go install -p "$jobs" ./weed) >>"$blog" 2>&1 \
            || [ ! -x "$tmpbin/weed" ]; then
        rm -rf "$tmpbin"
        echo "---- last lines of the go output ($blog) ----" >&2
        tail -n 30 "$blog" >&2
        die "building SeaweedFS weed $pin FAILED after $(( $(date +%s) - t0 )) s"
    fi
    mv -f "$tmpbin/weed" "$weed"
    rm -rf "$tmpbin"
    echo "$want" >"$stamp"
    echo "$me: built weed in $(( $(date +%s) - t0 )) s ($(du -h "$weed" | cut -f1))"
}

# --- status ----------------------------------------------------------------
do_status() {
    local pid
    pid="$(read_pid)"
    if is_our_weed "$pid"; then
        echo "$me: SeaweedFS S3 is running (pid $pid) on http://$host:$port (state $dir)"
        return 0
    fi
    echo "$me: SeaweedFS S3 is not running for port $port${pid:+ (stale pid $pid)}"
    return 3
}

# --- stop ------------------------------------------------------------------
do_stop() {
    local pid members waited=0
    pid="$(read_pid)"
    if is_our_weed "$pid"; then
        echo "$me: stopping SeaweedFS S3 on $host:$port (pid $pid) ..."
        members="$(session_members "$pid")"
        kill -TERM "$pid" 2>/dev/null || true
        while is_our_weed "$pid" && [ "$waited" -lt "$stop_timeout" ]; do
            sleep 1
            waited=$((waited + 1))
        done
        if is_our_weed "$pid"; then
            echo "$me: still running after ${stop_timeout}s: sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do is_our_weed "$pid" || break; sleep 0.5; done
            ! is_our_weed "$pid" || die "pid $pid did not exit even after SIGKILL"
        fi
        # weed runs everything in one process; should anything it started
        # still be in its session, it goes too.
        members="$members $(session_members "$pid")"
        for m in $members; do
            if [ -d "/proc/$m" ]; then
                echo "$me: killing leftover process $m of the weed session"
                kill -KILL "$m" 2>/dev/null || true
            fi
        done
        echo "$me: stopped after ${waited}s"
    else
        echo "$me: SeaweedFS S3 is not running for port $port${pid:+ (stale pid $pid)}"
    fi
    # weed puts its in-process gRPC unix sockets into /tmp under fixed names.
    for p in $s3_grpc $master_grpc $volume_grpc $filer_grpc; do
        rm -f /tmp/seaweedfs-{s3,master,volume,filer}-grpc-"$p".sock
    done
    if [ -d "$dir" ]; then
        case "$dir" in
            ""|/|"$HOME"|"$HOME/") die "refusing to remove '$dir'" ;;
        esac
        [ -f "$dir/$marker" ] || die "$dir was not made by $me: not removing it"
        rm -rf "$dir"
        echo "$me: removed $dir"
    fi
}

# --- start -----------------------------------------------------------------
do_start() {
    local pid
    pid="$(read_pid)"
    if is_our_weed "$pid"; then
        echo "$me: SeaweedFS S3 is already running (pid $pid, state $dir)"
        echo "http://$host:$port"
        return 0
    fi
    [ -z "$pid" ] || echo "$me: removing stale state of a server that is gone (pid $pid)"
    command -v curl >/dev/null || die "curl is needed (readiness check, bucket creation)"
    for p in $all_ports; do
        ! port_open "$p" || die "port $p on $host is already in use by another process (S3 uses PORT..PORT+7); pick another PORT"
    done

    ensure_weed

    case "$dir" in
        ""|/|"$HOME"|"$HOME/") die "refusing to use '$dir' as the state directory" ;;
    esac
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$marker" ]; then
        die "$dir exists and was not made by $me; remove it or set S3_DIR"
    fi
    rm -rf "$dir"
    mkdir -p "$dir/data"
    touch "$dir/$marker"

    # The only identity: no "anonymous" entry, so unsigned requests are refused.
    cat >"$dir/s3.json" <<EOF
{
  "identities": [
    {
      "name": "snapbed-test",
      "credentials": [
        { "accessKey": "$access_key", "secretKey": "$secret_key" }
      ],
      "actions": [ "Admin", "Read", "Write", "List", "Tagging" ]
    }
  ]
}
EOF

    local -a args=(
        -logtostderr=true
        server
        -ip="$host" -ip.bind="$host"
        -dir="$dir/data"
        -master.port="$master_port" -master.port.grpc="$master_grpc"
        -master.peers=none -master.telemetry=false
        -master.volumeSizeLimitMB=128
        -volume.port="$volume_port" -volume.port.grpc="$volume_grpc"
        -volume.max=100 -volume.preStopSeconds=0
        -filer.port="$filer_port" -filer.port.grpc="$filer_grpc"
        -filer.localSocket="$dir/filer.sock"
        -s3 -s3.port="$port" -s3.port.grpc="$s3_grpc"
        -s3.port.iceberg=0 -s3.port.lance=0
        -s3.localSocket="$dir/s3.sock"
        -s3.config="$dir/s3.json"
        -s3.autoCreateBucket=false
    )
    # setsid: weed leaves the caller's session and outlives this shell. The
    # inner shell writes its own pid (== weed's after exec), which is right
    # even when setsid has to fork. Its working directory is the state
    # directory (weed reads optional *.toml files from there).
    setsid bash -c 'cd "$1" && echo $$ >"$2" && shift 2 && exec "$@"' _ \
        "$dir" "$pidfile" "$weed" "${args[@]}" >"$log" 2>&1 </dev/null &
    for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
    pid="$(read_pid)"
    [ -n "$pid" ] || { keep_log "no pid file"; die "weed did not start (no pid file)"; }
    echo "$me: started weed server (pid $pid), waiting up to ${start_timeout}s for S3 on $host:$port ..."

    fail() {
        echo "$me: $*" >&2
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do alive "$pid" || break; sleep 0.1; done
        fi
        keep_log "$*"
        rm -f "$pidfile"
        exit 1
    }

    # Ready: a signed ListBuckets answers 200 (master, volume, filer and
    # gateway are all up and the identities are loaded).
    local t0 code
    t0=$(date +%s)
    while :; do
        alive "$pid" || fail "weed exited during start-up"
        code="$(s3curl -o /dev/null -w '%{http_code}' "http://$host:$port/" 2>/dev/null || true)"
        [ "$code" = 200 ] && break
        [ $(( $(date +%s) - t0 )) -lt "$start_timeout" ] \
            || fail "S3 did not answer a signed request on $host:$port within ${start_timeout}s (last HTTP status: ${code:-none})"
        sleep 1
    done

    # Buckets. The master may still be growing its first volumes: retry.
    local b body
    for b in $buckets; do
        for attempt in $(seq 1 10); do
            body="$(s3curl -X PUT -w '\n%{http_code}' "http://$host:$port/$b" 2>&1 || true)"
            code="${body##*$'\n'}"
            case "$code" in
                200) break ;;
                409) [[ "$body" == *BucketAlreadyOwnedByYou* ]] && break ;;
            esac
            [ "$attempt" -lt 10 ] || fail "creating bucket $b failed (HTTP ${code:-none}): ${body%$'\n'*}"
            sleep 1
        done
    done
    # Warm-up: on a fresh server the first object write waits seconds for a
    # volume to be allocated; pay that here, not in the first test.
    for b in $buckets; do
        s3curl -o /dev/null -X PUT --data-binary warm "http://$host:$port/$b/.warm-up" || true
        s3curl -o /dev/null -X DELETE "http://$host:$port/$b/.warm-up" || true
    done
    echo "$me: SeaweedFS S3 is up after $(( $(date +%s) - t0 )) s (pid $pid, state $dir, log $log)"
    echo "$me: credentials $access_key / $secret_key, region $region, buckets: $buckets"
    echo "http://$host:$port"
}

case "$cmd" in
    start)  do_start ;;
    stop)   do_stop ;;
    status) do_status ;;
    *)      usage ;;
esac
