#!/usr/bin/env bash
# tests/pipes.sh — scripts/pipes.sh must be able to fail: a planted
# `| grep -q` under pipefail, on one line or continued on the next, is
# named with its line; a script without pipefail, a comment and a
# `grep >/dev/null` are not.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "tests/pipes.sh: FAIL: $*" >&2; exit 1; }

# The planted lines are printed through %s so that this file passes itself.
gq='grep -q'
printf 'set -o pipefail\n# cmd | %s x\nfoo | grep x >/dev/null\n' "$gq" >"$tmp/clean.sh"
printf 'foo | %s x\n' "$gq" >"$tmp/nopipefail.sh"
bash "$here/scripts/pipes.sh" "$tmp/clean.sh" "$tmp/nopipefail.sh" >/dev/null 2>&1 ||
    fail "a clean script was refused"

printf 'set -uo pipefail\nfoo | %s x && y\nok\nfoo |\n    %sE y; then\n' "$gq" "$gq" >"$tmp/bad.sh"
rc=0
bash "$here/scripts/pipes.sh" "$tmp/bad.sh" >"$tmp/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a planted pipe into grep -q passed (exit $rc)"
grep -x "$tmp/bad.sh:2: .*" "$tmp/out" >/dev/null || fail "line 2 not named: $(cat "$tmp/out")"
grep -x "$tmp/bad.sh:4: .*" "$tmp/out" >/dev/null || fail "the continued pipe (line 4) not named: $(cat "$tmp/out")"
echo "tests/pipes.sh: the pipe checker passes clean scripts and names planted pipes"
