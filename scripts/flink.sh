#!/usr/bin/env bash
# flink.sh -- a real Apache Flink standalone cluster on this machine, built
# from Maven Central jars, for snapbed's Flink lane (docs/flink.md).
#
#   scripts/flink.sh start [--taskmanagers N] [--slots S] [--rest-port P] [--conf KEY=VALUE]...
#   scripts/flink.sh stop [--rest-port P]
#   scripts/flink.sh status [--rest-port P]
#   scripts/flink.sh start-taskmanager I [--rest-port P]
#   scripts/flink.sh jar
#
# One JobManager (StandaloneSessionClusterEntrypoint) and N TaskManagers
# (TaskManagerRunner), each its own JVM, everything bound to 127.0.0.1. The
# state of the cluster on REST port P lives in ${FLINK_DIR:-/tmp/snapbed-flink-P}:
# conf/, one log per process (jobmanager.log, taskmanager-<i>.log), PID files
# (jobmanager.pid, taskmanager-<i>.pid), the TaskManagers' resource ids
# (taskmanager-<i>.id, as listed by GET /taskmanagers), the uploaded jars.
# `stop` leaves the logs there; the next `start` begins afresh.
#
# Why no tarball: flink-dist is not served by the registries this machine
# reaches, but a cluster needs only flink-runtime (both entry points),
# flink-clients, flink-streaming-java, flink-rpc-akka-loader (the RPC
# system), flink-runtime-web (the REST handlers /jars/upload and
# /jars/<id>/run) and log4j; the Kafka connector and flink-connector-files
# go on the same classpath, so job jars need not bundle them. Maven copies
# them once into ${SNAPBED_CACHE:-$HOME/.cache/snapbed}/flink-VERSION/lib.
#
# Why Flink 1.20.3: 1.20 is the long-term-support line of Flink 1.x, its
# Kafka connector 3.4.0-1.20 is on Maven Central, it runs on Java 17 (the
# JDK here) given the --add-opens list below, every fact of
# /work/shared/DEPENDENCIES.md was measured on it, and bench/flink (the
# MiniCluster baseline) runs the same version, so the two compare. Flink 2.x
# has a Kafka connector there too (flink-connector-kafka 4.0.0-2.0 resolves
# from Maven Central here, checked while writing this), but 2.0 removed the
# APIs that 1.x jobs still use; moving is FLINK_VERSION plus the connector
# version in flink/pom.xml, and re-measuring.
#
# Why these settings: heartbeats every 1 s with a 6 s timeout, so that a
# killed TaskManager is noticed in seconds rather than the default 50 s; the
# REST answers about a job and its checkpoints cached 200 ms, not 3 s, so
# that the statistics read when the job finishes hold its last checkpoints
# (the verdict judges every committed file by them); a
# checkpoint history of 10 000, so that GET /jobs/<id>/checkpoints keeps
# every checkpoint of a run; TaskManagers of 1 GiB with 64 MiB of managed
# memory (the default 40 % would leave the task heap ~26 MB). Fixed ports
# derive from P (JobManager RPC P+1, blob server P+2, TaskManager RPC
# P+10..P+49), so two clusters on different REST ports do not collide; data
# and metric ports are ephemeral. `--conf KEY=VALUE` overrides any key.
#
# Exit: 0 ok, 1 failure (one sentence on stderr), 2 usage; `status` exits 3
# when a process is not running. Progress goes to stderr; `start` prints
# 127.0.0.1:P as its last stdout line, `start-taskmanager` the new PID,
# `jar` the jar's absolute path.
#
# Environment: FLINK_VERSION (1.20.3), FLINK_KAFKA_VERSION (3.4.0-1.20),
# LOG4J_VERSION (2.24.3), FLINK_DIR, SNAPBED_CACHE, FLINK_START_TIMEOUT
# (seconds, 90), FLINK_STOP_TIMEOUT (seconds before SIGKILL, 10),
# FLINK_JM_MEMORY (jobmanager.memory.process.size, 1g), FLINK_TM_MEMORY
# (taskmanager.memory.process.size, 1g), FLINK_TM_MANAGED
# (taskmanager.memory.managed.size, 64m).
set -euo pipefail

me="flink.sh"
die() { echo "$me: $*" >&2; exit 1; }
usage_err() { echo "$me: $*" >&2; echo "usage: scripts/flink.sh start|stop|status|start-taskmanager I|jar [options] (see --help)" >&2; exit 2; }
say() { echo "$me: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

root="$(cd "$(dirname "$0")/.." && pwd)"
host=127.0.0.1
version="${FLINK_VERSION:-1.20.3}"
kafka_connector="${FLINK_KAFKA_VERSION:-3.4.0-1.20}"
log4j_version="${LOG4J_VERSION:-2.24.3}"
cache_root="${SNAPBED_CACHE:-$HOME/.cache/snapbed}"
cache="$cache_root/flink-$version"
lib="$cache/lib"
marker=".snapbed-flink"   # marks a state directory this script owns and may wipe
start_timeout="${FLINK_START_TIMEOUT:-90}"
stop_timeout="${FLINK_STOP_TIMEOUT:-10}"

# --- arguments ----------------------------------------------------------------
cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    -h|--help|help) usage; exit 0 ;;
    start|stop|status|start-taskmanager|jar) ;;
    "") usage_err "a command is required" ;;
    *) usage_err "unknown command '$cmd'" ;;
esac
tm_index=""
if [ "$cmd" = start-taskmanager ]; then
    [ $# -gt 0 ] || usage_err "start-taskmanager needs the TaskManager's index I (0, 1, ...)"
    tm_index="$1"; shift
    [[ "$tm_index" =~ ^[0-9]{1,4}$ ]] || usage_err "the TaskManager index must be a number, got '$tm_index'"
    tm_index=$((10#$tm_index))
fi
taskmanagers=2
slots=1
rest_port=18081
confs=()
need_value() { [ $# -ge 2 ] || usage_err "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --taskmanagers) need_value "$@"; [ "$cmd" = start ] || usage_err "--taskmanagers is for start"; taskmanagers="$2"; shift 2 ;;
        --slots) need_value "$@"; [ "$cmd" = start ] || usage_err "--slots is for start"; slots="$2"; shift 2 ;;
        --conf) need_value "$@"; [ "$cmd" = start ] || usage_err "--conf is for start"; confs+=("$2"); shift 2 ;;
        --rest-port) need_value "$@"; [ "$cmd" != jar ] || usage_err "jar takes no options"; rest_port="$2"; shift 2 ;;
        *) usage_err "unknown option '$1' for $cmd" ;;
    esac
done
[[ "$taskmanagers" =~ ^[0-9]{1,2}$ ]] && [ "$taskmanagers" -ge 1 ] && [ "$taskmanagers" -le 40 ] \
    || usage_err "--taskmanagers must be a number from 1 to 40, got '$taskmanagers'"
[[ "$slots" =~ ^[0-9]{1,3}$ ]] && [ "$slots" -ge 1 ] || usage_err "--slots must be a positive number, got '$slots'"
[[ "$rest_port" =~ ^[0-9]{4,5}$ ]] && [ "$rest_port" -ge 1024 ] && [ "$rest_port" -le 65480 ] \
    || usage_err "--rest-port must be a number from 1024 to 65480 (P..P+49 are used), got '$rest_port'"
for kv in "${confs[@]+"${confs[@]}"}"; do
    [[ "$kv" =~ ^[A-Za-z0-9._-]+=.*$ ]] || usage_err "--conf takes KEY=VALUE, got '$kv'"
done
for v in "FLINK_START_TIMEOUT=$start_timeout" "FLINK_STOP_TIMEOUT=$stop_timeout"; do
    [[ "${v#*=}" =~ ^[1-9][0-9]*$ ]] || usage_err "${v%%=*} must be a positive number of seconds, got '${v#*=}'"
done

dir="${FLINK_DIR:-/tmp/snapbed-flink-$rest_port}"
# Absolute: the JVMs resolve their paths (uploads, blobs, logs) from their
# own working directory, and a relative FLINK_DIR failed every jar upload
# (HTTP 500 "File upload failed").
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
conf_dir="$dir/conf"
base="http://$host:$rest_port"

# --- tools --------------------------------------------------------------------
apt_install() { # as root only: this is the project's own machine set-up
    [ "$(id -u)" = 0 ] || die "$* missing: install it (apt-get install $*) or run this as root"
    say "installing $* with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >&2 \
        || die "apt-get could not install $*"
}
need_tools() {
    # javac too: `jar` compiles, and a JRE alone has no compiler.
    command -v javac >/dev/null || apt_install default-jdk-headless
    command -v mvn >/dev/null || apt_install maven
    command -v curl >/dev/null || apt_install curl
    local t
    for t in java javac mvn curl; do
        command -v "$t" >/dev/null || die "$t is still missing after apt-get"
    done
}

# --- processes ------------------------------------------------------------------
# pid -> 0 while it runs (a zombie has exited). Liveness never comes from
# /proc/PID/cmdline: right after the fork it is still this script's, and
# while the process execs it reads empty.
alive() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] || return 1
    local st
    st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [[ "$st" != Z* ]]
}
# pid -> 0 when it is a live JVM of this state directory (every JVM started
# here carries -Dsnapbed.flink.dir=DIR), so a recycled pid is never
# signalled. Up to 2 s of an empty command line is an exec in progress.
is_ours() {
    local cl="" tries=40
    while alive "${1:-}"; do
        cl="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true)"
        [ -n "$cl" ] && [[ "$cl" == *"-Dsnapbed.flink.dir=$dir "* ]] && return 0
        [ -n "$cl" ] || [ "$tries" -le 0 ] && return 1
        tries=$((tries - 1))
        sleep 0.05
    done
    return 1
}
pid_of() { cat "$dir/$1.pid" 2>/dev/null || true; }
port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }
# The roles of this state directory: jobmanager, taskmanager-0, ...
roles() {
    local n
    n="$(cat "$dir/taskmanagers" 2>/dev/null || echo 0)"
    [[ "$n" =~ ^[0-9]+$ ]] || n=0
    echo jobmanager
    for ((i = 0; i < n; i++)); do echo "taskmanager-$i"; done
}

# Java 17: the opens and exports that Flink's distribution puts into
# env.java.opts.all; without them /jars/<id>/run fails with "module
# java.base does not open java.util".
java_opens=()
for pkg in java.lang java.lang.reflect java.io java.net java.nio sun.nio.ch java.text java.time \
    java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
    java_opens+=("--add-opens=java.base/$pkg=ALL-UNNAMED")
done
java_opens+=(--add-exports=java.base/sun.net.util=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED)
for pkg in api file parser tree util; do
    java_opens+=("--add-exports=jdk.compiler/com.sun.tools.javac.$pkg=ALL-UNNAMED")
done

# --- jars -------------------------------------------------------------------------
fetch_lib() {
    if [ -f "$cache/.complete" ] && [ -d "$lib" ]; then
        return 0
    fi
    say "fetching Flink $version jars with Maven into $lib (once) ..."
    local t0 work
    t0=$(date +%s)
    mkdir -p "$cache"
    work="$(mktemp -d "$cache/fetch.XXXXXX")"
    local deps="" a
    for a in flink-runtime flink-clients flink-streaming-java flink-connector-files \
        flink-rpc-akka-loader flink-runtime-web; do
        deps="$deps<dependency><groupId>org.apache.flink</groupId><artifactId>$a</artifactId><version>$version</version></dependency>"
    done
    deps="$deps<dependency><groupId>org.apache.flink</groupId><artifactId>flink-connector-kafka</artifactId><version>$kafka_connector</version></dependency>"
    for a in log4j-slf4j-impl log4j-core log4j-api; do
        deps="$deps<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>$a</artifactId><version>$log4j_version</version></dependency>"
    done
    cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by snapbed scripts/flink.sh: only used to fetch the cluster's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>snapbed</groupId>
  <artifactId>flink-cluster-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF
    if ! (cd "$work" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$work/lib") >"$work/mvn.log" 2>&1; then
        tail -n 30 "$work/mvn.log" >&2
        rm -rf "$work"
        die "Maven could not fetch Flink $version and its Kafka connector $kafka_connector (log above)"
    fi
    for a in flink-runtime-"$version" flink-runtime-web-"$version" flink-rpc-akka-loader-"$version" \
        flink-connector-kafka-"$kafka_connector" flink-connector-files-"$version"; do
        [ -f "$work/lib/$a.jar" ] || { rm -rf "$work"; die "Maven finished but $a.jar is not among the fetched jars"; }
    done
    rm -rf "$lib"
    mv "$work/lib" "$lib"
    rm -rf "$work"
    ls "$lib" >"$cache/.complete"
    say "fetched $(ls "$lib" | wc -l) jars ($(du -sh "$lib" | cut -f1)) in $(( $(date +%s) - t0 )) s"
}

# The job jar: rebuilt only when flink/pom.xml or flink/src is newer than
# the last build's stamp.
build_jar() {
    local proj="$root/flink" jar="$root/flink/target/snapbed-flink.jar" stamp="$root/flink/target/.built"
    if [ -f "$stamp" ] && [ -f "$jar" ] && [ -z "$(find "$proj/pom.xml" "$proj/src" -newer "$stamp" -print -quit)" ]; then
        echo "$jar"
        return 0
    fi
    say "building $proj with Maven ..."
    local log t0
    t0=$(date +%s)
    log="$(mktemp)"
    if ! (cd "$proj" && mvn -q -B package) >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        die "Maven could not build $proj (log above)"
    fi
    rm -f "$log"
    [ -f "$jar" ] || die "Maven finished but $jar is missing"
    touch "$stamp"
    say "built $jar ($(wc -c <"$jar") bytes) in $(( $(date +%s) - t0 )) s"
    echo "$jar"
}

# --- REST -------------------------------------------------------------------------
rest_up() { curl -fsS -m 2 "$base/config" >/dev/null 2>&1; }
# The resource ids of the TaskManagers the JobManager lists now.
registered_ids() {
    curl -fsS -m 2 "$base/taskmanagers" 2>/dev/null | grep -o '"id":"[^"]*"' | sed 's/^"id":"//; s/"$//' || true
}

# --- stop ---------------------------------------------------------------------------
# SIGTERM to every live process of the state directory, up to
# FLINK_STOP_TIMEOUT seconds to exit, then SIGKILL; PID files removed.
stop_all() {
    local r pid left=() t0
    for r in $(roles); do
        pid="$(pid_of "$r")"
        if is_ours "$pid"; then
            say "stopping $r (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            left+=("$pid")
        fi
    done
    if [ ${#left[@]} -eq 0 ]; then
        rm -f "$dir"/*.pid 2>/dev/null || true
        return 1
    fi
    t0=$(date +%s%N)
    local deadline=$(( t0 + stop_timeout * 1000000000 ))
    while :; do
        local still=()
        for pid in "${left[@]}"; do alive "$pid" && still+=("$pid"); done
        [ ${#still[@]} -gt 0 ] || break
        if [ "$(date +%s%N)" -ge "$deadline" ]; then
            say "still running after ${stop_timeout}s: SIGKILL to ${still[*]}"
            kill -KILL "${still[@]}" 2>/dev/null || true
            for _ in $(seq 1 50); do
                local any=0
                for pid in "${still[@]}"; do alive "$pid" && any=1; done
                [ "$any" = 1 ] || break
                sleep 0.1
            done
            for pid in "${still[@]}"; do ! alive "$pid" || die "pid $pid did not exit even after SIGKILL"; done
            break
        fi
        sleep 0.1
    done
    rm -f "$dir"/*.pid
    say "stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    return 0
}

# --- launching ----------------------------------------------------------------------
# Flink's BashJavaUtils derives the JVM flags (line 1: -Xmx, -Xms,
# -XX:MaxDirectMemorySize, -XX:MaxMetaspaceSize) and the -D memory settings
# (line 2) from the configuration, as bin/taskmanager.sh does; a
# TaskManager started without them exits ("taskmanager.cpu.cores is not
# set"). Its answer lines carry the prefix BASH_JAVA_UTILS_EXEC_RESULT:.
resource_params() { # MODE OUTFILE
    local raw
    raw="$(java -Dsnapbed.flink.dir="$dir" -Dlog4j2.configurationFile="file:$conf_dir/log4j-cli.properties" \
        -cp "$lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$conf_dir" 2>&1)" \
        || { echo "$raw" | tail -n 20 >&2; return 1; }
    echo "$raw" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' >"$2"
    [ "$(wc -l <"$2")" -ge 2 ] || { echo "$raw" | tail -n 20 >&2; return 1; }
}

# Starts one JVM detached (setsid: it outlives this shell) and writes its
# PID file. Output goes to the log log4j writes too, both appending.
launch() { # ROLE LOGFILE JVMFLAGS CLASS ARGS...
    local role="$1" logf="$2" jvmflags="$3" cls="$4"
    shift 4
    # shellcheck disable=SC2086 # JVMFLAGS is a list of flags by design
    setsid java -Dsnapbed.flink.dir="$dir" $jvmflags "${java_opens[@]}" -XX:+UseG1GC \
        -Djava.awt.headless=true -Dlog.file="$logf" \
        -Dlog4j2.configurationFile="file:$conf_dir/log4j.properties" \
        -cp "$lib/*" "$cls" --configDir "$conf_dir" "$@" >>"$logf" 2>&1 </dev/null &
    echo $! >"$dir/$role.pid"
}
launch_tm() { # I -> writes taskmanager-I.pid and taskmanager-I.id
    local i="$1" id
    id="tm-$i-$(date +%s%N | cut -c1-13)"
    echo "$id" >"$dir/taskmanager-$i.id"
    # shellcheck disable=SC2046 # line 2 is a list of -D KEY=VALUE words
    launch "taskmanager-$i" "$dir/taskmanager-$i.log" "$(sed -n 1p "$dir/tm-params")" \
        org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
        $(sed -n 2p "$dir/tm-params") -D "taskmanager.resource-id=$id"
}

# A failed start: stop what was started, keep every log outside the state
# directory (which the next start wipes), print where and the last lines.
fail_start() {
    say "$*"
    stop_all >/dev/null 2>&1 || true
    local kept
    kept="$cache_root/logs/flink-$rest_port-$(date +%Y%m%d-%H%M%S)-$$"
    mkdir -p "$kept"
    cp "$dir"/*.log "$conf_dir/config.yaml" "$kept/" 2>/dev/null || true
    say "logs of the failed start kept in $kept; last lines:"
    local f
    for f in "$kept"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $(basename "$f")" >&2
        grep -E 'ERROR|Exception|Caused by' "$f" | tail -n 8 >&2 || true
        tail -n 5 "$f" >&2
    done
    exit 1
}

write_conf() {
    mkdir -p "$conf_dir" "$dir/tmp" "$dir/web-upload" "$dir/blob"
    declare -A c=(
        [jobmanager.rpc.address]=$host
        [jobmanager.rpc.port]=$((rest_port + 1))
        [jobmanager.bind-host]=$host
        [jobmanager.memory.process.size]="${FLINK_JM_MEMORY:-1g}"
        [taskmanager.host]=$host
        [taskmanager.bind-host]=$host
        [taskmanager.rpc.port]="$((rest_port + 10))-$((rest_port + 49))"
        [taskmanager.data.port]=0
        [taskmanager.data.bind-host]=$host
        [taskmanager.numberOfTaskSlots]=$slots
        [taskmanager.memory.process.size]="${FLINK_TM_MEMORY:-1g}"
        [taskmanager.memory.managed.size]="${FLINK_TM_MANAGED:-64m}"
        [blob.server.port]=$((rest_port + 2))
        [blob.storage.directory]="$dir/blob"
        [metrics.internal.query-service.port]=0
        [rest.address]=$host
        [rest.bind-address]=$host
        [rest.port]=$rest_port
        [web.upload.dir]="$dir/web-upload"
        [web.checkpoints.history]=10000
        [io.tmp.dirs]="$dir/tmp"
        [web.refresh-interval]=200
        [rest.cache.checkpoint-statistics.timeout]='200 ms'
        [heartbeat.interval]=1000
        [heartbeat.timeout]=6000
        [parallelism.default]=1
        [cluster.intercept-user-system-exit]=THROW
    )
    local kv
    for kv in "${confs[@]+"${confs[@]}"}"; do c[${kv%%=*}]="${kv#*=}"; done
    {
        echo "# Generated by snapbed scripts/flink.sh for the cluster on REST port $rest_port."
        local k v
        for k in $(printf '%s\n' "${!c[@]}" | sort); do
            v="${c[$k]}"
            echo "$k: '${v//\'/\'\'}'"   # YAML single quotes: every value a string
        done
    } >"$conf_dir/config.yaml"
    # The cluster logs INFO with append (a non-appending file appender
    # empties the log at shutdown); the Kafka clients of the job and the RPC
    # stack only WARN, so a job's log stays readable.
    cat >"$conf_dir/log4j.properties" <<'EOF'
# Generated by snapbed scripts/flink.sh.
monitorInterval = 0
rootLogger.level = INFO
rootLogger.appenderRef.main.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.netty.name = org.apache.flink.shaded.netty4
logger.netty.level = WARN
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = WARN
EOF
    cat >"$conf_dir/log4j-cli.properties" <<'EOF'
# Generated by snapbed scripts/flink.sh: helper tools log warnings to stderr.
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %c{1} - %m%n
EOF
}

# --- commands -------------------------------------------------------------------------
status_lines() { # -> 0 when every process runs
    local r pid ok=0
    [ -f "$dir/$marker" ] || { echo "flink: no cluster state in $dir"; return 1; }
    for r in $(roles); do
        pid="$(pid_of "$r")"
        if is_ours "$pid"; then
            echo "$r: running (pid $pid)"
        else
            echo "$r: dead${pid:+ (pid $pid)}"
            ok=1
        fi
    done
    return $ok
}

cmd_start() {
    need_tools
    if [ -f "$dir/$marker" ] && status_lines >/dev/null 2>&1 &&
        [ "$(cat "$dir/taskmanagers" 2>/dev/null)" = "$taskmanagers" ]; then
        say "the cluster on $host:$rest_port is already running (state $dir)"
        echo "$host:$rest_port"
        return 0
    fi
    if [ -f "$dir/$marker" ] && stop_all 2>/dev/null; then
        say "stopped the cluster that ran there before (some of it dead, or other options)"
    fi
    local p
    for p in "$rest_port" $((rest_port + 1)) $((rest_port + 2)); do
        ! port_open "$p" || die "port $p on $host is already in use by another process; pick another --rest-port"
    done
    fetch_lib
    case "$dir" in ""|/|"$HOME"|"$HOME/") die "refusing to use '$dir' as the state directory" ;; esac
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$marker" ]; then
        die "$dir exists and was not made by this script; remove it or set FLINK_DIR"
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    touch "$dir/$marker"
    echo "$taskmanagers" >"$dir/taskmanagers"
    write_conf

    local t0 i
    t0=$(date +%s%N)
    # Both memory computations at once (2 cores); the TaskManager's is kept
    # for start-taskmanager.
    resource_params GET_JM_RESOURCE_PARAMS "$dir/jm-params" & local jpid=$!
    resource_params GET_TM_RESOURCE_PARAMS "$dir/tm-params" & local tpid=$!
    wait "$jpid" || fail_start "Flink could not derive the JobManager's memory settings from $conf_dir (output above)"
    wait "$tpid" || fail_start "Flink could not derive the TaskManagers' memory settings from $conf_dir (output above)"
    # shellcheck disable=SC2046
    launch jobmanager "$dir/jobmanager.log" "$(sed -n 1p "$dir/jm-params")" \
        org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint $(sed -n 2p "$dir/jm-params")
    for ((i = 0; i < taskmanagers; i++)); do launch_tm "$i"; done
    say "started Flink $version: jobmanager (pid $(pid_of jobmanager)) and $taskmanagers taskmanagers, waiting up to ${start_timeout}s for $base ..."

    local deadline=$(( $(date +%s) + start_timeout )) rest_ms="" want got r
    while :; do
        for r in $(roles); do
            alive "$(pid_of "$r")" || fail_start "the $r process exited during start-up"
        done
        if [ -z "$rest_ms" ] && rest_up; then
            rest_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
            say "REST answers after $rest_ms ms"
        fi
        if [ -n "$rest_ms" ]; then
            want="$(cat "$dir"/taskmanager-*.id | sort)"
            got="$(registered_ids | sort)"
            [ "$(comm -23 <(echo "$want") <(echo "$got") | wc -l)" -ne 0 ] || break
        fi
        [ "$(date +%s)" -lt "$deadline" ] || fail_start "the cluster was not up (REST and $taskmanagers TaskManagers registered) within ${start_timeout}s"
        sleep 0.2
    done
    say "up after $(( ($(date +%s%N) - t0) / 1000000 )) ms: $taskmanagers TaskManagers x $slots slots, state and logs in $dir"
    echo "$host:$rest_port"
}

cmd_stop() {
    if [ ! -f "$dir/$marker" ]; then
        say "no Flink cluster runs on REST port $rest_port (no state in $dir)"
        return 0
    fi
    stop_all || say "no Flink process of $dir was running"
    # A process not in a PID file (killed script mid-launch) would carry
    # the marker property: report it rather than leave it silently.
    local stray
    stray="$(pgrep -f -- "-Dsnapbed.flink.dir=$dir " || true)"
    [ -z "$stray" ] || die "processes of $dir still run without a PID file: $stray"
}

cmd_status() {
    if status_lines; then return 0; fi
    return 3
}

cmd_start_taskmanager() {
    [ -f "$dir/$marker" ] || die "no Flink cluster on REST port $rest_port (no state in $dir); run start first"
    local n
    n="$(cat "$dir/taskmanagers")"
    [ "$tm_index" -lt "$n" ] || usage_err "the cluster has TaskManagers 0 to $((n - 1)), not $tm_index"
    is_ours "$(pid_of jobmanager)" || die "the JobManager of $dir is not running; run start"
    [ -s "$dir/tm-params" ] || die "$dir/tm-params is missing; restart the cluster with start"
    local old
    old="$(pid_of "taskmanager-$tm_index")"
    if is_ours "$old"; then
        say "taskmanager-$tm_index is already running (pid $old)"
        echo "$old"
        return 0
    fi
    local t0 id pid
    t0=$(date +%s%N)
    launch_tm "$tm_index"
    id="$(cat "$dir/taskmanager-$tm_index.id")"
    pid="$(pid_of "taskmanager-$tm_index")"
    local deadline=$(( $(date +%s) + start_timeout ))
    until registered_ids | grep -xF "$id" >/dev/null; do
        alive "$pid" || { tail -n 20 "$dir/taskmanager-$tm_index.log" >&2; die "taskmanager-$tm_index (pid $pid) exited during start-up (log above)"; }
        [ "$(date +%s)" -lt "$deadline" ] || die "taskmanager-$tm_index (pid $pid) did not register within ${start_timeout}s (log $dir/taskmanager-$tm_index.log)"
        sleep 0.1
    done
    say "taskmanager-$tm_index registered as $id after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    echo "$pid"
}

case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    start-taskmanager) need_tools; cmd_start_taskmanager ;;
    jar) need_tools; fetch_lib; build_jar ;;
esac
