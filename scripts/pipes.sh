#!/usr/bin/env bash
# scripts/pipes.sh [FILE...] — under `set -o pipefail`, `cmd | grep -q`
# fails at random: grep -q exits at its first match, the writer then gets
# SIGPIPE, and the pipeline reports the writer's death (CI once went red
# this way, tests/sim-faults.sh, after 1117 s). In a script that sets
# pipefail, a grep at the end of a pipe must read all of its input
# (`grep PATTERN >/dev/null`). Exit 1 names each file and line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || set -- scripts/*.sh tests/*.sh bench/*.sh .ci/run
bad=0
for f in "$@"; do
    [ -f "$f" ] && grep -q 'pipefail' "$f" || continue
    # A pipe at the end of one line continues on the next: join them first.
    while IFS= read -r hit; do
        echo "$f:$hit: 'grep -q' reads a pipe under pipefail; use 'grep ... >/dev/null'" >&2
        bad=$((bad + 1))
    done < <(awk '/^[[:space:]]*#/ { next }
                 { line = $0; if (prev != "") { line = prev " " line; n = pn } else n = NR
                   if (line ~ /\|[[:space:]]*$/) { prev = line; pn = n; next }
                   prev = ""
                   if (line ~ /\|[[:space:]]*!?[[:space:]]*grep[[:space:]]+-[a-zA-Z]*q/) print n }' "$f")
done
[ "$bad" = 0 ] || { echo "pipes: $bad pipe(s) into grep -q under pipefail" >&2; exit 1; }
echo "pipes: no pipe into grep -q under pipefail ($# files)"
