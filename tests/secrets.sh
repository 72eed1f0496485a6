#!/usr/bin/env bash
# Secrets: a canary credential in every variable snapbed's S3 client reads
# for credentials — AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the
# environment, s3.access-key and s3.secret-key in the scenario, the latter
# written in the YAML forms a line-by-line redaction missed (a quoted key, a
# folded and a literal block scalar) — must never appear in any file of a run
# folder, the report, the trace or the console, replay commands and error
# messages included. (The Kafka client reads no credential: PLAINTEXT only.)
#
#  a. runs that fail to reach S3 (an s3:// store on a closed loopback port,
#     so the error messages quote the request): `snapbed run` with the
#     credentials in the environment, then in the scenario, then the suite
#     runner (which prints the replay command of the failed case, and exits
#     2: the case is an ERROR); and a loopback server that refuses the
#     signature with an answer quoting the request's Authorization header;
#  b. successful embedded runs with the credentials in the scenario in those
#     YAML forms (the worker reads the redacted copy: the folded form used
#     to break it) and other canaries in the environment;
#  c. `snapbed sim` on the same scenarios, `snapbed check`, `snapbed report`
#     and `snapbed viz` on the run folders.
# Then every file under the runs and every console output is searched for
# every canary. Control: a canary planted in a copy of a run folder (in the
# middle of the trace, and inside a binary file) is found by the same search.
#
# usage: tests/secrets.sh   (SNAPBED=binary, SECRETS_OUT=DIR keeps the runs)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${SNAPBED:-$PWD/build/snapbed}
out=${SECRETS_OUT:-$(mktemp -d /tmp/snapbed-secrets.XXXXXX)}
[ -n "${SECRETS_OUT:-}" ] || trap 'rm -rf "$out"' EXIT
src="$out/src"          # the scenarios hold the canaries: never searched
runs="$out/runs"        # run folders, JUnit, everything snapbed wrote
console="$out/console"  # stdout and stderr of every command
mkdir -p "$src" "$runs" "$console"
failures=0

fail() {
    echo "secrets FAILED: $*" >&2
    failures=$((failures + 1))
}

canary() { echo "sbcanary$1$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }
env_access=$(canary EnvAccess)
env_secret=$(canary EnvSecret)
yaml_access=$(canary YamlAccess)
yaml_secret=$(canary YamlSecret)
canaries=("$env_access" "$env_secret" "$yaml_access" "$yaml_secret")

# find_canaries PATH...: prints every file holding a canary (binary files
# too); 0 when one was found.
find_canaries() {
    local args=() c
    for c in "${canaries[@]}"; do args+=(-e "$c"); done
    grep -rlaF "${args[@]}" -- "$@"
}

# run_cmd NAME WANT CMD...: runs CMD with its console captured; WANT is the
# exit status it must have.
run_cmd() {
    local name="$1" want="$2" rc
    shift 2
    "$@" > "$console/$name.out" 2> "$console/$name.err"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$name: exit $rc, want $want (see $console/$name.err)"
}

closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
small() { # NAME: a short job on the embedded Kafka, file:// stores
    printf '%s\n' "name: $1" "input: { partitions: 2, records: 4000, seed: 5 }" \
        "pipeline: { parallelism: 2, source: { records_per_s: 20000 }, sink: file://output }" \
        "execution.checkpointing.interval: 100ms" "state.checkpoints.dir: file://checkpoints" \
        "faults:" "  - do: crash" "    random: 1" "expect: { exactly_once: true }"
}

# Quoted secret key, folded access key.
{ small secrets-quoted
  echo "\"s3.secret-key\": $yaml_secret"
  echo "s3.access-key: >-"
  echo "  $yaml_access"; } > "$src/quoted.yaml"
# Folded secret, literal access key under a quoted key, comments kept.
{ small secrets-folded
  echo "s3.secret-key: >-   # a comment on the key"
  echo "  $yaml_secret"
  echo ""
  echo "'s3.access-key': |"
  echo "  $yaml_access"
  echo "s3.region: us-east-1"; } > "$src/folded.yaml"
# S3 stores on a closed port: the credentials are used, the request fails.
{ sed 's#sink: file://output#sink: s3://canary-bucket/sink#; s#file://checkpoints#s3://canary-bucket/checkpoints#' \
      "$src/quoted.yaml"
  echo "s3.endpoint: http://127.0.0.1:$closed_port"; } > "$src/unreachable.yaml"

export AWS_ACCESS_KEY_ID="$env_access" AWS_SECRET_ACCESS_KEY="$env_secret"
export AWS_REGION=us-east-1 S3_ENDPOINT="http://127.0.0.1:$closed_port"

echo "=== a. S3 unreachable (127.0.0.1:$closed_port)"
run_cmd a-env 2 "$bin" run "$src/folded.yaml" -o "$runs/a-env" \
    --sink s3://canary-bucket/sink --checkpoints s3://canary-bucket/checkpoints
run_cmd a-yaml 2 "$bin" run "$src/unreachable.yaml" -o "$runs/a-yaml"
run_cmd a-suite 2 "$bin" run "$src/unreachable.yaml" --seeds 1 --junit "$runs/a-suite.junit.xml" \
    -o "$runs/a-suite"
# The errors were produced and quote the request (or the search below
# would prove nothing about them).
for n in a-env a-yaml; do
    grep -q "127.0.0.1:$closed_port" "$console/$n.err" ||
        fail "$n: no error naming the S3 endpoint (see $console/$n.err)"
done
grep -q "replay: " "$console/a-suite.out" || fail "a-suite: no replay command printed"

# A server that refuses the signature and, as AWS does, quotes the request
# back: the access key, the string to sign, the canonical request with the
# Authorization header. snapbed's error may name the S3 code and message,
# never what the answer quotes.
python3 - "$out/s3-port" > "$console/fake-s3.log" 2>&1 <<'EOF_PY' &
import http.server, sys
class Refuse(http.server.BaseHTTPRequestHandler):
    def answer(self):
        auth = self.headers.get("Authorization", "")
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
                "<Message>The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.</Message>"
                f"<AWSAccessKeyId>{auth}</AWSAccessKeyId><StringToSign>{auth}</StringToSign>"
                f"<CanonicalRequest>{self.command} {self.path} {auth}</CanonicalRequest>"
                "<RequestId>canary-request</RequestId></Error>").encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
open(sys.argv[1], "w").write(str(server.server_address[1]))
server.serve_forever()
EOF_PY
fake_pid=$!
for _ in $(seq 1 50); do [ -s "$out/s3-port" ] && break; sleep 0.1; done
S3_ENDPOINT="http://127.0.0.1:$(cat "$out/s3-port" 2>/dev/null)" \
    run_cmd a-403 2 "$bin" run "$src/folded.yaml" -o "$runs/a-403" \
    --sink s3://canary-bucket/sink --checkpoints s3://canary-bucket/checkpoints
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null
grep -q "SignatureDoesNotMatch\|refused the credentials" "$console/a-403.err" ||
    fail "a-403: no error from the refusing server (see $console/a-403.err)"

echo "=== b. successful embedded runs, credentials in the scenario"
unset S3_ENDPOINT
for n in quoted folded; do
    run_cmd "b-$n" 0 "$bin" run "$src/$n.yaml" -o "$runs/b-$n"
    grep -q "\"(redacted: from the environment)\"" "$runs/b-$n/scenario.yaml" ||
        fail "b-$n: the run folder's scenario.yaml has no redacted value"
    [ -s "$runs/b-$n/report.html" ] || fail "b-$n: no report.html"
done

echo "=== c. sim, check, report, viz"
for n in quoted folded; do
    run_cmd "c-sim-$n" 0 "$bin" sim "$src/$n.yaml" -o "$runs/c-sim-$n"
    run_cmd "c-check-$n" 0 "$bin" check "$runs/b-$n"
    run_cmd "c-report-$n" 0 "$bin" report "$runs/b-$n"
    run_cmd "c-report-text-$n" 0 "$bin" report "$runs/b-$n" --text
    run_cmd "c-viz-$n" 0 "$bin" viz "$runs/b-$n" -o "$runs/b-$n/viz-again"
done

echo "=== search: ${#canaries[@]} canaries in $(find "$runs" "$console" -type f | wc -l) files"
if found=$(find_canaries "$runs" "$console"); then
    fail "a canary credential was written to:"
    echo "$found" | sed 's/^/    /' >&2
fi

echo "=== control: a planted canary is found by the same search"
mkdir -p "$out/control"
cp -r "$runs/b-quoted" "$out/control/run"
trace="$out/control/run/trace.jsonl"
mid=$(( $(wc -l < "$trace") / 2 ))
sed -i "${mid}s/\$/ $yaml_secret/" "$trace"
printf '\0\1%s\0' "$env_secret" >> "$out/control/run/progress.bin"
found=$(find_canaries "$out/control" || true)
for f in "$trace" "$out/control/run/progress.bin"; do
    grep -qxF "$f" <<< "$found" || fail "control: the canary planted in $f was not found"
done
[ "$(grep -c . <<< "$found")" -eq 2 ] || fail "control: found more than the two planted files"

if [ $failures -gt 0 ]; then
    echo "secrets: $failures failure(s); files in $out" >&2
    exit 1
fi
echo "secrets: OK, no canary in any run folder, report, trace or console output"
