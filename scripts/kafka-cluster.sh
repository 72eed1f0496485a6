#!/usr/bin/env bash
# kafka-cluster.sh SUBCOMMAND [ARGS] [--base-port B] [--netns] -- a real
# three-broker Apache Kafka cluster (KRaft, each node broker + controller in
# its own JVM) on this machine, so that a broker kill or pause is a failover
# under replication (RF 3, min ISR 2) and not a single broker going away.
# Run it as `scripts/kafka.sh cluster ...`; `--help` lists the subcommands.
#
# Layout: node ID (1..3) serves clients on B+2*(ID-1) and its controller on
# the port after it (29092/29093, 29094/29095, 29096/29097 for B=29092). The
# quorum is a static voter set (controller.quorum.voters): all three nodes are
# formatted with one cluster id and no --standalone, so none of them has to be
# added to a quorum later and a restarted node needs no special step.
# State: ${KAFKA_CLUSTER_DIR:-/tmp/snapbed-kafka-cluster-B}/node-ID/ holds
# server.properties, data/, server.log and kafka.pid; the directory carries
# the marker file of the other Kafka scripts, and only a marked directory is
# ever removed.
#
# Liveness is a live pid (not a zombie) whose command line names kafka.Kafka
# and this node's server.properties; an empty command line (an exec in
# progress) is waited out, never taken as an answer.
#
# --netns (start only; root): each node runs in its own network namespace on
# a bridge this script makes (addresses SUBNET.1..3, the host is SUBNET.254),
# which makes `partition ID` / `heal ID` possible: the host end of the node's
# veth goes down / up, cutting the node off from the other two and from every
# client on this host at once. See docs/kafka-cluster.md.
#
# Environment: KAFKA_CLUSTER_DIR, KAFKA_CLUSTER_HEAP_OPTS (-Xms128m -Xmx384m),
# KAFKA_CLUSTER_START_TIMEOUT (s, 240), KAFKA_CLUSTER_STOP_TIMEOUT (s, 20),
# KAFKA_CLUSTER_REJOIN_TIMEOUT (s, 240), KAFKA_CLUSTER_SUBNET (first three
# octets, --netns only; default 10.209.(B mod 250)), and those of kafka-jars.sh.
set -euo pipefail

me="kafka-cluster"
here="$(cd "$(dirname "$0")" && pwd)"
die() { echo "$me: $*" >&2; exit 1; }

usage() {
    cat <<'EOF'
usage: scripts/kafka.sh cluster SUBCOMMAND [ARGS] [--base-port B] [--netns]
  start              start three KRaft nodes (broker+controller each); waits
                     until 3 brokers are registered; last line: bootstrap list
  stop               stop every node (SIGTERM, then SIGKILL), remove the state
  status             one line per node; exit 0 when all three run, 3 otherwise
  kill ID            SIGKILL node ID (1..3)
  pause ID           SIGSTOP node ID
  resume ID          SIGCONT node ID
  restart ID         start node ID again on its data; waits until it is back
                     in the ISR of every partition it replicates
  create-topic NAME PARTITIONS
                     a topic with replication factor 3, min.insync.replicas 2
  partition ID       (--netns clusters) cut node ID off the network
  heal ID            (--netns clusters) connect node ID again
options: --base-port B (default 29092: clients on B, B+2, B+4, controllers on
  B+1, B+3, B+5), --netns (start only: one network namespace per node; root)
exit: 0 ok, 1 failure (one sentence on stderr), 2 usage, 3 status: not all up
EOF
}
usage_error() { echo "$me: $*" >&2; echo "usage: scripts/kafka.sh cluster SUBCOMMAND [ARGS] [--base-port B] [--netns] (--help)" >&2; exit 2; }

# --- arguments ---------------------------------------------------------------
cmd=""
args=()
base=29092
netns_opt=0
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --base-port) [ $# -ge 2 ] || usage_error "--base-port needs a port"; base="$2"; shift 2 ;;
    --base-port=*) base="${1#*=}"; shift ;;
    --netns) netns_opt=1; shift ;;
    -*) usage_error "unknown option '$1'" ;;
    *) if [ -z "$cmd" ]; then cmd="$1"; else args+=("$1"); fi; shift ;;
    esac
done
[ -n "$cmd" ] || usage_error "a subcommand is needed"
[[ "$base" =~ ^[0-9]{4,5}$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le 65530 ] \
    || usage_error "--base-port must be a number from 1024 to 65530, got '$base'"

want_args() { # count -> the subcommand got exactly count arguments
    [ "${#args[@]}" -eq "$1" ] || usage_error "'$cmd' takes $1 argument(s), got ${#args[@]}"
}
want_id() { # -> $id, a node id from the first argument
    want_args 1
    [[ "${args[0]}" =~ ^[123]$ ]] || usage_error "node ID must be 1, 2 or 3, got '${args[0]}'"
    id="${args[0]}"
}

# --- layout ------------------------------------------------------------------
nodes=(1 2 3)
dir="${KAFKA_CLUSTER_DIR:-/tmp/snapbed-kafka-cluster-$base}"
marker=".snapbed-kafka"   # marks a directory the Kafka scripts own and may delete
heap="${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx384m}"
start_timeout="${KAFKA_CLUSTER_START_TIMEOUT:-240}"
stop_timeout="${KAFKA_CLUSTER_STOP_TIMEOUT:-20}"
rejoin_timeout="${KAFKA_CLUSTER_REJOIN_TIMEOUT:-240}"
subnet="${KAFKA_CLUSTER_SUBNET:-10.209.$((base % 250))}"

# The network mode is chosen at start and recorded, so that later subcommands
# (kill, restart, partition) find the nodes where start put them.
netns=0
if [ -f "$dir/netns" ]; then netns=1; subnet="$(cat "$dir/netns")"
elif [ "$cmd" = start ] && [ "$netns_opt" = 1 ]; then netns=1; fi

node_dir() { echo "$dir/node-$1"; }
client_port() { echo $((base + 2 * ($1 - 1))); }
controller_port() { echo $((base + 2 * ($1 - 1) + 1)); }
node_host() { if [ "$netns" = 1 ]; then echo "$subnet.$1"; else echo 127.0.0.1; fi; }
bootstrap() {
    local id out=""
    for id in "${nodes[@]}"; do out="$out${out:+,}$(node_host "$id"):$(client_port "$id")"; done
    echo "$out"
}
ns_name() { echo "sbkc$base-$1"; }   # network namespace of node $1
bridge="sbkc$base"                   # interface names stay within 15 characters
veth_host() { echo "sbkc${base}h$1"; }
veth_node() { echo "sbkc${base}n$1"; }

now_ms() { date +%s%3N; }
secs_since() { # start_ms -> seconds with one decimal
    local d=$(( $(now_ms) - $1 ))
    printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100))
}

# --- processes ---------------------------------------------------------------
alive() { kafka_alive "$@"; }
proc_state() { kafka_proc_state "$@"; }
node_pid() { cat "$(node_dir "$1")/kafka.pid" 2>/dev/null || true; }
is_node() { # id pid -> 0 when pid is the live JVM of node id
    kafka_cmdline_is "${2:-}" "*kafka.Kafka*$(node_dir "$1")/server.properties*"
}
node_running() { is_node "$1" "$(node_pid "$1")"; }
rss_mb() { # pid -> resident set in MB
    awk '/^VmRSS:/ { printf "%d", $2 / 1024; f = 1 } END { if (!f) printf "?" }' "/proc/$1/status" 2>/dev/null || echo "?"
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- metadata (kcat: an independent client, from Debian) ---------------------
need_kcat() {
    command -v kcat >/dev/null || kafka_apt_install kcat
    command -v kcat >/dev/null || die "kcat is still missing after apt-get"
}
metadata() { # [kcat args] -> kcat -L output of the cluster, or nothing
    kcat -L -b "$(bootstrap)" -m 5 "$@" 2>/dev/null || true
}
brokers_listed() { metadata | sed -n 's/^ \([0-9]*\) brokers:$/\1/p'; }
# ISR check: every partition whose replica list holds node $1 has it in its
# ISR too (kcat -L lines: "partition 0, leader 1, replicas: 1,2,3, isrs: 2,3").
in_all_isrs() {
    local md
    md="$(metadata)"
    grep -q "^  *broker $1 at " <<<"$md" || return 1
    ! awk -v id="$1" '
        /^ *partition [0-9]+, leader/ {
            r = $0; sub(/.*replicas: /, "", r); sub(/,? *isrs:.*/, "", r)
            i = $0; sub(/.*isrs: /, "", i); sub(/[ ,]*(Broker:.*)?$/, "", i)
            if (index("," r ",", "," id ",") && !index("," i ",", "," id ",")) bad = 1
        }
        END { exit bad ? 0 : 1 }' <<<"$md"
}

# --- jars and tools ----------------------------------------------------------
# shellcheck source=scripts/kafka-jars.sh
. "$here/kafka-jars.sh"
cp="$kafka_libs/*"
jars_ready() { [ -f "$kafka_cache/.complete" ] || die "the Kafka jars are not cached in $kafka_libs: run 'scripts/kafka.sh cluster start' first"; }
tool_java() { # class args... -> runs a Kafka command-line tool, WARN logs on stderr
    # shellcheck disable=SC2086
    java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        "-Dlog4j2.configurationFile=$dir/log4j2-WARN.properties" -cp "$cp" "$@"
}

# --- network namespaces (--netns) ------------------------------------------
need_root() { [ "$(id -u)" -eq 0 ] || die "--netns needs root (network namespaces and a bridge)"; }
netns_up() { # makes the bridge, one namespace per node, and a veth pair each
    need_root
    ip link show "$bridge" >/dev/null 2>&1 || {
        ip link add "$bridge" type bridge &&
        ip addr add "$subnet.254/24" dev "$bridge" &&
        ip link set "$bridge" up
    } || die "could not make the bridge $bridge ($subnet.254/24)"
    local id ns
    for id in "${nodes[@]}"; do
        ns="$(ns_name "$id")"
        ip netns list | grep -w "^$ns" >/dev/null || ip netns add "$ns" || die "could not add the network namespace $ns"
        if ! ip link show "$(veth_host "$id")" >/dev/null 2>&1; then
            ip link add "$(veth_host "$id")" type veth peer name "$(veth_node "$id")" netns "$ns" &&
            ip link set "$(veth_host "$id")" master "$bridge" &&
            ip link set "$(veth_host "$id")" up &&
            ip -n "$ns" addr add "$subnet.$id/24" dev "$(veth_node "$id")" &&
            ip -n "$ns" link set "$(veth_node "$id")" up &&
            ip -n "$ns" link set lo up || die "could not connect namespace $ns to $bridge"
        fi
    done
}
netns_down() { # removes what netns_up made (the nodes must be gone first)
    local id
    for id in "${nodes[@]}"; do
        ip link del "$(veth_host "$id")" 2>/dev/null || true
        ip netns del "$(ns_name "$id")" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
}

# --- configuration -----------------------------------------------------------
write_config() { # fresh cluster directory: logging and one server.properties per node
    local id nd voters=""
    for id in "${nodes[@]}"; do
        voters="$voters${voters:+,}$id@$(node_host "$id"):$(controller_port "$id")"
    done
    kafka_write_log4j "$dir"
    for id in "${nodes[@]}"; do
        nd="$(node_dir "$id")"
        mkdir -p "$nd/data"
        touch "$nd/$marker"
        cat >"$nd/server.properties" <<EOF
# Generated by snapbed scripts/kafka-cluster.sh: node $id of 3, broker + controller.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://$(node_host "$id"):$(client_port "$id"),CONTROLLER://$(node_host "$id"):$(controller_port "$id")
advertised.listeners=PLAINTEXT://$(node_host "$id"):$(client_port "$id")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$nd/data
# Replication: every topic, including the ones a client creates with
# replication factor -1 (the broker default) or by auto-creation, has three
# replicas and accepts an acks=all write only when two of them have it.
num.partitions=4
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
# Fast failure detection for tests: the controller fences a broker (and so
# moves its leaderships and drops it from the ISRs) after 6 s without a
# heartbeat, instead of 9 s; a lagging follower leaves the ISR after 10 s.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
EOF
    done
}

new_cluster_id() { # -> 22 characters of base64url: 16 random bytes, like Kafka's Uuid
    local u
    while :; do
        u="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        # Kafka never hands out an id starting with '-' (it would read as an option).
        [[ "$u" == -* ]] || { echo "$u"; return; }
    done
}

format_nodes() { # cluster_id -> every node's data formatted, in parallel
    local id pids=() rc=0
    for id in "${nodes[@]}"; do
        tool_java kafka.tools.StorageTool format -t "$1" -c "$(node_dir "$id")/server.properties" \
            >"$(node_dir "$id")/format.log" 2>&1 &
        pids+=($!)
    done
    for id in "${nodes[@]}"; do wait "${pids[$((id - 1))]}" || rc=$id; done
    [ "$rc" = 0 ] || { cat "$(node_dir "$rc")/format.log" >&2; die "formatting node $rc in $(node_dir "$rc")/data failed (log above)"; }
}

launch() { # id -> the node's JVM started on its data (log appended), pid recorded
    local nd prefix=()
    nd="$(node_dir "$1")"
    [ "$netns" = 0 ] || prefix=(ip netns exec "$(ns_name "$1")")
    # setsid: the node leaves the caller's session and outlives this shell.
    # shellcheck disable=SC2086
    setsid "${prefix[@]}" java $heap -XX:+UseG1GC -Djava.awt.headless=true \
        "-Dlog4j2.configurationFile=$dir/log4j2-INFO.properties" \
        -cp "$cp" kafka.Kafka "$nd/server.properties" >>"$nd/server.log" 2>&1 </dev/null &
    echo $! >"$nd/kafka.pid"
}

# A failed start or restart stops the nodes it launched (so that their logs
# are complete and nothing is left), keeps their logs outside the state
# directory, which the next start or stop removes, and exits 1.
fail_launch() { # message ids... -> exit 1
    local msg="$1" id pid kept
    shift
    for id in "$@"; do
        pid="$(node_pid "$id")"
        is_node "$id" "$pid" || continue
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        ! alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
    done
    kept="${SNAPBED_CACHE:-$HOME/.cache/snapbed}/logs/kafka-cluster-$base-$(date +%Y%m%d-%H%M%S)-$$.log"
    mkdir -p "$(dirname "$kept")"
    {
        echo "# $me on base port $base failed: $msg"
        for id in "${nodes[@]}"; do
            echo "# ---- node $id: $(node_dir "$id")/server.log"
            cat "$(node_dir "$id")/format.log" "$(node_dir "$id")/server.log" 2>/dev/null || true
        done
    } >"$kept" || kept="$dir"
    echo "$me: log of the failed start kept in $kept; last lines:" >&2
    tail -n 30 "$kept" >&2 || true
    die "$msg"
}

# --- subcommands -------------------------------------------------------------
cmd_start() {
    local id t0 missing=() running=() cid md
    kafka_need_tools
    need_kcat
    kafka_fetch_jars
    for id in "${nodes[@]}"; do
        if node_running "$id"; then running+=("$id"); else missing+=("$id"); fi
    done
    if [ "${#missing[@]}" = 0 ]; then
        echo "$me: the cluster is already running (state $dir)"
        bootstrap
        return 0
    fi
    t0=$(now_ms)
    if [ "${#running[@]}" = 0 ]; then
        case "$dir" in ""|/|"$HOME"|"$HOME/") die "refusing to use '$dir' as the state directory" ;; esac
        if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/$marker" ]; then
            die "$dir exists and was not made by this script; remove it or set KAFKA_CLUSTER_DIR"
        fi
        [ ! -d "$dir" ] || echo "$me: removing the stale state of a cluster that is gone ($dir)"
        rm -rf "$dir"
        mkdir -p "$dir"
        touch "$dir/$marker"
        if [ "$netns" = 1 ]; then echo "$subnet" >"$dir/netns"; netns_up; fi
        write_config
        cid="$(new_cluster_id)"
        echo "$cid" >"$dir/cluster.id"
        format_nodes "$cid"
        echo "$me: formatted 3 nodes (cluster $cid) in $(secs_since "$t0") s"
    else
        # Some nodes run: bring the others back on their data, as restart does.
        echo "$me: nodes ${running[*]} already run; starting ${missing[*]} on their data"
        [ "$netns" = 0 ] || netns_up
    fi
    for id in "${missing[@]}"; do
        ! port_open "$(node_host "$id")" "$(client_port "$id")" &&
        ! port_open "$(node_host "$id")" "$(controller_port "$id")" ||
            die "port $(client_port "$id") or $(controller_port "$id") on $(node_host "$id") is already in use by another process; pick another --base-port"
        [ -f "$(node_dir "$id")/data/meta.properties" ] || die "node $id has no formatted data in $(node_dir "$id"); stop the cluster and start it again"
    done
    # All the JVMs at once: on two cores this is about a third faster than in turn.
    for id in "${missing[@]}"; do launch "$id"; done
    echo "$me: started nodes ${missing[*]} (pids $(for id in "${missing[@]}"; do printf '%s ' "$(node_pid "$id")"; done | sed 's/ $//')), waiting up to ${start_timeout}s for 3 brokers ..."
    while :; do
        for id in "${missing[@]}"; do
            alive "$(node_pid "$id")" || fail_launch "node $id exited during start-up" "${missing[@]}"
        done
        md="$(brokers_listed)"
        [ "$md" != 3 ] || break
        [ $(( $(now_ms) - t0 )) -lt $((start_timeout * 1000)) ] ||
            fail_launch "the cluster did not list 3 brokers within ${start_timeout}s (it listed ${md:-none})" "${missing[@]}"
        sleep 0.5
    done
    echo "$me: 3 brokers up after $(secs_since "$t0") s; RSS $(for id in "${nodes[@]}"; do printf 'node %s %s MB, ' "$id" "$(rss_mb "$(node_pid "$id")")"; done | sed 's/, $//') (state $dir)"
    bootstrap
}

cmd_stop() {
    local id pid t0 live=()
    t0=$(now_ms)
    for id in "${nodes[@]}"; do
        pid="$(node_pid "$id")"
        is_node "$id" "$pid" || continue
        live+=("$pid")
        # A stopped (paused) JVM would not act on SIGTERM until continued.
        kill -TERM "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
    done
    if [ "${#live[@]}" = 0 ]; then
        echo "$me: no node of the cluster on base port $base is running"
    else
        while :; do
            local left=()
            for pid in "${live[@]}"; do ! alive "$pid" || left+=("$pid"); done
            [ "${#left[@]}" != 0 ] || break
            if [ $(( $(now_ms) - t0 )) -ge $((stop_timeout * 1000)) ]; then
                echo "$me: pids ${left[*]} still run after ${stop_timeout}s: sending SIGKILL"
                kill -KILL "${left[@]}" 2>/dev/null || true
                for _ in $(seq 1 50); do
                    left=()
                    for pid in "${live[@]}"; do ! alive "$pid" || left+=("$pid"); done
                    [ "${#left[@]}" != 0 ] || break
                    sleep 0.1
                done
                [ "${#left[@]}" = 0 ] || die "pids ${left[*]} did not exit even after SIGKILL"
                break
            fi
            sleep 0.2
        done
        echo "$me: stopped ${#live[@]} node(s) (pids ${live[*]}) after $(secs_since "$t0") s"
    fi
    [ "$netns" = 0 ] || netns_down
    if [ -d "$dir" ]; then
        case "$dir" in ""|/|"$HOME"|"$HOME/") die "refusing to remove '$dir'" ;; esac
        [ -f "$dir/$marker" ] || die "$dir was not made by kafka-cluster.sh: not removing it"
        rm -rf "$dir"
        echo "$me: removed $dir"
    fi
}

cmd_status() {
    local id pid all=0 state
    for id in "${nodes[@]}"; do
        pid="$(node_pid "$id")"
        if is_node "$id" "$pid"; then
            state="$(proc_state "$pid")"
            if [ "$state" = T ]; then
                echo "node $id: paused (pid $pid, SIGSTOP) on $(node_host "$id"):$(client_port "$id")"
                all=3
            else
                echo "node $id: running (pid $pid, RSS $(rss_mb "$pid") MB) on $(node_host "$id"):$(client_port "$id")"
            fi
        else
            echo "node $id: not running on $(node_host "$id"):$(client_port "$id")"
            all=3
        fi
    done
    return "$all"
}

signal_node() { # id signal verb -> one line
    local pid
    pid="$(node_pid "$1")"
    is_node "$1" "$pid" || die "node $1 is not running, cannot $3 it"
    kill "-$2" "$pid" || die "kill -$2 $pid (node $1) failed"
}

cmd_kill() {
    local pid t0
    pid="$(node_pid "$id")"
    if ! is_node "$id" "$pid"; then echo "$me: node $id was not running"; return 0; fi
    t0=$(now_ms)
    kill -KILL "$pid" || die "kill -KILL $pid (node $id) failed"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
    ! alive "$pid" || die "node $id (pid $pid) still runs 5 s after SIGKILL"
    echo "$me: node $id killed (pid $pid, gone after $(secs_since "$t0") s)"
}

cmd_pause() {
    local pid
    signal_node "$id" STOP pause
    pid="$(node_pid "$id")"
    for _ in $(seq 1 40); do [ "$(proc_state "$pid")" != T ] || break; sleep 0.05; done
    [ "$(proc_state "$pid")" = T ] || die "node $id (pid $pid) did not stop after SIGSTOP"
    echo "$me: node $id paused (pid $pid)"
}

cmd_resume() {
    local pid
    pid="$(node_pid "$id")"
    if is_node "$id" "$pid" && [ "$(proc_state "$pid")" != T ]; then
        echo "$me: node $id was not paused (pid $pid)"
        return 0
    fi
    signal_node "$id" CONT resume
    echo "$me: node $id resumed (pid $pid)"
}

cmd_restart() {
    local pid t0 nd
    nd="$(node_dir "$id")"
    pid="$(node_pid "$id")"
    if is_node "$id" "$pid"; then
        [ "$(proc_state "$pid")" != T ] || die "node $id is paused (pid $pid): resume it instead"
        echo "$me: node $id is already running (pid $pid)"
        return 0
    fi
    [ -f "$dir/$marker" ] && [ -f "$nd/server.properties" ] && [ -f "$nd/data/meta.properties" ] ||
        die "node $id has no state in $nd to restart on; start the cluster first"
    jars_ready
    ! port_open "$(node_host "$id")" "$(client_port "$id")" ||
        die "port $(client_port "$id") on $(node_host "$id") is in use by another process"
    t0=$(now_ms)
    echo "# ---- $me: restart at $(date -u +%FT%TZ)" >>"$nd/server.log"
    launch "$id"
    pid="$(node_pid "$id")"
    while ! in_all_isrs "$id"; do
        alive "$pid" || fail_launch "node $id exited during its restart" "$id"
        [ $(( $(now_ms) - t0 )) -lt $((rejoin_timeout * 1000)) ] ||
            fail_launch "node $id did not rejoin the ISR of its partitions within ${rejoin_timeout}s" "$id"
        sleep 0.2
    done
    echo "$me: node $id restarted (pid $pid), in the ISR of all its partitions after $(secs_since "$t0") s"
}

cmd_create_topic() {
    local name="${args[0]}" parts="${args[1]}" t0 md n
    [[ "$name" =~ ^[A-Za-z0-9._-]{1,249}$ ]] || usage_error "topic NAME must be 1-249 of [A-Za-z0-9._-], got '$name'"
    [[ "$parts" =~ ^[0-9]{1,4}$ ]] && [ "$parts" -ge 1 ] && [ "$parts" -le 1000 ] ||
        usage_error "PARTITIONS must be a number from 1 to 1000, got '$parts'"
    jars_ready
    t0=$(now_ms)
    if ! tool_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" --create \
            --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 3 \
            --config min.insync.replicas=2 >"$dir/topic-$name.log" 2>&1; then
        tail -n 5 "$dir/topic-$name.log" >&2
        die "TopicCommand could not create topic $name (log above)"
    fi
    # Created is not yet usable: wait until every partition has a leader and
    # three in-sync replicas, so that an acks=all producer is not refused.
    while :; do
        md="$(metadata -t "$name")"
        n="$(grep -cE '^ *partition [0-9]+, leader [0-9]+, replicas: [0-9]+,[0-9]+,[0-9]+, isrs: [0-9]+,[0-9]+,[0-9]+$' <<<"$md" || true)"
        [ "$n" != "$parts" ] || break
        [ $(( $(now_ms) - t0 )) -lt 30000 ] || die "topic $name has $n of $parts partitions with a leader and 3 in-sync replicas after 30 s"
        sleep 0.2
    done
    echo "$me: topic $name ready ($parts partitions, RF 3, min ISR 2) after $(secs_since "$t0") s"
}

cmd_cut() { # up|down -> the host end of node $id's veth
    [ "$netns" = 1 ] || die "the cluster on base port $base was not started with --netns: no partition possible"
    need_root
    ip link set "$(veth_host "$id")" "$1" || die "ip link set $(veth_host "$id") $1 failed"
}

case "$cmd" in
start) want_args 0; cmd_start ;;
stop) want_args 0; cmd_stop ;;
status) want_args 0; cmd_status || exit 3 ;;
kill) want_id; cmd_kill ;;
pause) want_id; cmd_pause ;;
resume) want_id; cmd_resume ;;
restart) want_id; cmd_restart ;;
create-topic) want_args 2; cmd_create_topic ;;
partition) want_id; cmd_cut down; echo "$me: node $id cut off (its link to the bridge $bridge is down)" ;;
heal) want_id; cmd_cut up; echo "$me: node $id connected again" ;;
*) usage_error "unknown subcommand '$cmd'" ;;
esac
