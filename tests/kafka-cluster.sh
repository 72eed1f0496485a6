#!/usr/bin/env bash
# The three-broker Kafka cluster (scripts/kafka.sh cluster) under its own
# faults, checked with clients that are not snapbed: Kafka's own
# VerifiableProducer (which prints every acknowledged record) and kcat.
#
#  1. start (timed), status, an idempotent second start;
#  2. the broker defaults: a topic a client creates without a replication
#     factor gets 3 replicas and min.insync.replicas 2;
#  3. create-topic, then an acks=all producer during which the leader of
#     partition 0 is SIGKILLed: a new leader must take over (failover time
#     printed) and every acknowledged record must be readable afterwards;
#  4. restart of the killed node: back in the ISR of every partition (time
#     printed); while it was dead the same ISR check had to fail;
#  5. pause / resume of another node under the same producer check;
#  6. stop: no JVM of the cluster is left, checked by pid, on every path.
# KAFKA_CLUSTER_TEST_NETNS=1 (root) starts the cluster with --netns and, in
# 3 and 4, cuts the leader off the network (partition) and heals it instead
# of killing and restarting it.
# Exit 0 pass, 1 fail; skipped (exit 0, one sentence) when java, mvn or kcat
# are missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

base="${KAFKA_CLUSTER_TEST_PORT:-29292}"
records="${KAFKA_CLUSTER_TEST_RECORDS:-20000}"
netns="${KAFKA_CLUSTER_TEST_NETNS:-0}"
me="kafka-cluster test"
cdir="${KAFKA_CLUSTER_DIR:-/tmp/snapbed-kafka-cluster-$base}"
work="$(mktemp -d /tmp/snapbed-kafka-cluster-test.XXXXXX)"
cl() { bash scripts/kafka.sh cluster "$@" --base-port "$base"; }
say() { echo "$me: $*"; }
fail() { echo "$me: FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs() { local d=$(( $(now_ms) - $1 )); printf '%d.%d s' $((d / 1000)) $(((d % 1000) / 100)); }

# --- tools, or a skip ----------------------------------------------------------
missing=()
for tool in java mvn kcat; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" != 0 ]; then
    pkgs=()
    for tool in "${missing[@]}"; do
        case "$tool" in java) pkgs+=(default-jre-headless) ;; mvn) pkgs+=(maven) ;; kcat) pkgs+=(kcat) ;; esac
    done
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="$(command -v sudo || true)"
    if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 || true
    fi
    for tool in java mvn kcat; do
        command -v "$tool" >/dev/null || { say "skipped: $tool is missing and could not be installed"; exit 0; }
    done
fi

# --- cleanup on every path: stop, then no pid of ours may be left ------------
pids_seen=()
producer=""
remember_pids() {
    local id p
    for id in 1 2 3; do
        p="$(cat "$cdir/node-$id/kafka.pid" 2>/dev/null || true)"
        [ -z "$p" ] || pids_seen+=("$p")
    done
}
# A pid is still ours when it lives (a zombie has exited) and its command
# line names this cluster's directory: a pid the kernel has reused is not.
still_ours() {
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(sed -n 's/^[0-9]* (.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 1
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -F "$cdir/node-" >/dev/null
}
cleanup() {
    local rc=$? left=() p
    [ -z "$producer" ] || kill "$producer" 2>/dev/null || true
    remember_pids
    cl stop >"$work/stop.log" 2>&1 || { cat "$work/stop.log" >&2; rc=1; }
    for p in "${pids_seen[@]}"; do ! still_ours "$p" || left+=("$p"); done
    if [ "${#left[@]}" != 0 ]; then
        echo "$me: FAIL: pids ${left[*]} of the cluster still run after stop" >&2
        kill -KILL "${left[@]}" 2>/dev/null || true
        rc=1
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

libs="${SNAPBED_CACHE:-$HOME/.cache/snapbed}/kafka-${KAFKA_VERSION:-4.4.0}/libs"
tool_java() {
    java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        "-Dlog4j2.configurationFile=$cdir/log4j2-WARN.properties" \
        -cp "$libs/*" "$@"
}
leader_of() { # topic partition -> its leader's node id (or -1), from kcat
    kcat -L -b "$bootstrap" -t "$1" -m 5 2>/dev/null |
        sed -n "s/^ *partition $2, leader \\(-\\{0,1\\}[0-9]*\\),.*/\\1/p"
}
isr_has() { # topic node -> 0 when every partition of topic lists node in its ISR
    local md
    md="$(kcat -L -b "$bootstrap" -t "$1" -m 5 2>/dev/null)" || return 1
    grep -q 'partition 0,' <<<"$md" || return 1
    ! grep -E '^ *partition [0-9]+,' <<<"$md" | sed 's/.*isrs: //' | grep -vE "(^|,)$2(,|$)" >/dev/null
}
# Every acknowledged record must be readable: prints how many are not.
missing_acked() { # acked_values consumed_values -> count
    comm -23 <(sort -u "$1") <(sort -u "$2") | wc -l
}
# VerifiableProducer sets retries=0 (so every leader change fails records);
# its config file comes last, and makes it the producer a job would use:
# idempotent, retrying until the delivery timeout.
cat >"$work/producer.properties" <<EOF
acks=all
enable.idempotence=true
retries=2147483647
delivery.timeout.ms=120000
EOF
produce() { # topic count out prefix -> VerifiableProducer, keys over all partitions
    tool_java org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$bootstrap" \
        --topic "$1" --max-messages "$2" --throughput 2000 --acks -1 --repeating-keys 64 \
        --value-prefix "$4" --command-config "$work/producer.properties" >"$3" 2>"$3.err"
}
acked_count() { grep -c '"name":"producer_send_success"' "$1" || true; }
check_readable() { # topic producer_out what -> every acked record consumed
    local acked="$work/acked" consumed="$work/consumed" n m errs
    sed -n 's/.*"name":"producer_send_success".*"value":"\([^"]*\)".*/\1/p' "$2" >"$acked"
    errs="$(grep -c '"name":"producer_send_error"' "$2" || true)"
    n="$(wc -l <"$acked")"
    [ "$n" -gt 0 ] || fail "$3: the producer got no acknowledgement at all ($(tail -n 2 "$2.err" | tr '\n' ' '))"
    kcat -C -b "$bootstrap" -t "$1" -e -o beginning -q -f '%s\n' >"$consumed" 2>"$work/kcat.err" ||
        fail "$3: kcat could not read $1 ($(head -c 300 "$work/kcat.err"))"
    m="$(missing_acked "$acked" "$consumed")"
    [ "$m" = 0 ] || fail "$3: $m of $n acknowledged records are missing from $1"
    # Negative control: the same comparison must notice one record that was
    # acknowledged but never written.
    echo "never-written" >>"$acked"
    [ "$(missing_acked "$acked" "$consumed")" = 1 ] || fail "$3: the missing-record check does not notice a missing record"
    say "$3: all $n acknowledged records readable ($(grep -c . "$consumed") read, $errs send errors)"
    [ "$errs" = 0 ] || say "$3: first send error: $(grep -m 1 '"name":"producer_send_error"' "$2" | cut -c1-300)"
}

# --- 1. start -----------------------------------------------------------------
t0=$(now_ms)
start_opts=()
[ "$netns" = 0 ] || start_opts=(--netns)
cl start "${start_opts[@]}" >"$work/start.log" 2>&1 || { cat "$work/start.log" >&2; fail "cluster start failed"; }
remember_pids
bootstrap="$(tail -n 1 "$work/start.log")"
h1=127.0.0.1 h2=127.0.0.1 h3=127.0.0.1
if [ "$netns" != 0 ]; then
    subnet="$(cat "$cdir/netns")"
    h1="$subnet.1" h2="$subnet.2" h3="$subnet.3"
fi
want="$h1:$base,$h2:$((base + 2)),$h3:$((base + 4))"
[ "$bootstrap" = "$want" ] || fail "start printed '$bootstrap' last, not $want"
say "cluster start: $(secs "$t0") ($(grep -o 'RSS.*MB' "$work/start.log"))"
cl status >"$work/status" || { cat "$work/status"; fail "status exits non-zero on a running cluster"; }
[ "$(grep -c ': running (pid' "$work/status")" = 3 ] || fail "status does not show 3 running nodes: $(cat "$work/status")"
[ "$(cl start | tail -n 1)" = "$want" ] || fail "a second start does not print the bootstrap list"

# --- 2. broker defaults -------------------------------------------------------
echo "x" | kcat -P -b "$bootstrap" -t defaults-probe -X acks=all 2>"$work/probe.err" ||
    fail "kcat could not produce to an auto-created topic ($(cat "$work/probe.err"))"
md="$(kcat -L -b "$bootstrap" -t defaults-probe -m 5)"
[ "$(grep -cE 'replicas: [0-9]+,[0-9]+,[0-9]+,' <<<"$md")" = 4 ] ||
    fail "an auto-created topic has not 4 partitions of 3 replicas: $md"
tool_java org.apache.kafka.tools.ConfigCommand --bootstrap-server "$bootstrap" --describe --all \
    --entity-type topics --entity-name defaults-probe >"$work/configs" 2>&1 ||
    fail "ConfigCommand failed: $(tail -n 3 "$work/configs")"
grep -qE '^ *min\.insync\.replicas=2 ' "$work/configs" ||
    fail "an auto-created topic's min.insync.replicas is not 2: $(grep min.insync "$work/configs")"
say "broker defaults: an auto-created topic has 4 partitions, 3 replicas, min.insync.replicas 2"

# --- 3. kill the leader while producing ----------------------------------------
cl create-topic snap 4 >"$work/topic.log" 2>&1 || { cat "$work/topic.log" >&2; fail "create-topic failed"; }
victim="$(leader_of snap 0)"
[[ "$victim" =~ ^[123]$ ]] || fail "partition 0 of snap has no leader ($victim)"
produce snap "$records" "$work/p1" 1 &
producer=$!
for _ in $(seq 1 600); do
    [ "$(acked_count "$work/p1")" -lt 2000 ] || break
    kill -0 "$producer" 2>/dev/null || break
    sleep 0.1
done
[ "$(acked_count "$work/p1")" -ge 2000 ] || fail "the producer did not get 2000 acknowledgements within 60 s"
t_kill=$(now_ms)
if [ "$netns" = 0 ]; then fault=kill; else fault=partition; fi
cl "$fault" "$victim" >"$work/kill.log" || fail "$fault $victim failed: $(cat "$work/kill.log")"
acked_at_kill="$(acked_count "$work/p1")"
while :; do
    l="$(leader_of snap 0)"
    [[ "$l" =~ ^[123]$ ]] && [ "$l" != "$victim" ] && break
    [ $(( $(now_ms) - t_kill )) -lt 60000 ] || fail "no new leader for partition 0 within 60 s of killing node $victim"
    sleep 0.1
done
say "leader failover: $fault of node $victim with $acked_at_kill of $records acknowledged; node $l leads partition 0 after $(secs "$t_kill")"
! isr_has snap "$victim" || fail "the ISR check still finds the killed node $victim in every ISR"
wait "$producer" || fail "VerifiableProducer failed: $(tail -n 3 "$work/p1.err")"
producer=""
check_readable snap "$work/p1" "$fault of the leader"

# --- 4. restart the killed node ----------------------------------------------
t_restart=$(now_ms)
if [ "$netns" = 0 ]; then
    cl restart "$victim" >"$work/restart.log" 2>&1 || { cat "$work/restart.log" >&2; fail "restart $victim failed"; }
else
    cl heal "$victim" >"$work/restart.log" 2>&1 || { cat "$work/restart.log" >&2; fail "heal $victim failed"; }
    until isr_has snap "$victim"; do
        [ $(( $(now_ms) - t_restart )) -lt 240000 ] || fail "node $victim did not return to every ISR within 240 s of heal"
        sleep 0.2
    done
fi
remember_pids
isr_has snap "$victim" || fail "node $victim is not in every ISR of snap after restart said it rejoined"
cl status >/dev/null || fail "status is not 0 after the restart of node $victim"
say "$([ "$netns" = 0 ] && echo restart || echo heal) to rejoin (in every ISR): node $victim after $(secs "$t_restart")"

# --- 5. pause / resume another node under the producer ------------------------
paused=$(( victim % 3 + 1 ))
cl pause "$paused" >/dev/null || fail "pause $paused failed"
if cl status >"$work/status"; then fail "status exits 0 with node $paused paused"; fi
grep -q "node $paused: paused" "$work/status" || fail "status does not show node $paused paused: $(cat "$work/status")"
t_pause=$(now_ms)
produce snap 4000 "$work/p2" 2 || fail "VerifiableProducer failed while node $paused was paused: $(tail -n 3 "$work/p2.err")"
say "producing 4000 records with node $paused paused took $(secs "$t_pause")"
t_resume=$(now_ms)
cl resume "$paused" >/dev/null || fail "resume $paused failed"
until isr_has snap "$paused"; do
    [ $(( $(now_ms) - t_resume )) -lt 240000 ] || fail "node $paused did not return to every ISR within 240 s of resume"
    sleep 0.2
done
say "resume to rejoin (in every ISR): node $paused after $(secs "$t_resume")"
check_readable snap "$work/p2" "pause of node $paused"

# --- 6. stop: nothing left (checked again by the EXIT trap) -------------------
remember_pids
t_stop=$(now_ms)
cl stop >"$work/stop.log" 2>&1 || { cat "$work/stop.log" >&2; fail "stop failed"; }
for p in "${pids_seen[@]}"; do ! still_ours "$p" || fail "pid $p still runs after stop"; done
if cl status >/dev/null; then fail "status exits 0 after stop"; fi
cl stop >/dev/null || fail "a second stop is not idempotent"
say "stop: $(secs "$t_stop"), none of the $(printf "%s\n" "${pids_seen[@]}" | sort -u | wc -l) JVMs left"
say "PASS"
