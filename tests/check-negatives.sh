#!/usr/bin/env bash
# After a suite run: the AT_LEAST_ONCE negative control must have been
# reported as *duplicating* (not merely as violating something) in every
# seed it ran with. usage: tests/check-negatives.sh SUITE_DIR
set -euo pipefail
dir="$1"
found=0
for s in "$dir"/negative-at-least-once-seed*/summary.json; do
    [ -f "$s" ] || continue
    found=$((found + 1))
    dup=$(sed -n '/"exactly_once"/,/}/p' "$s" | sed -n 's/^ *"duplicated": \([0-9]*\).*/\1/p' | head -1)
    if [ -z "$dup" ] || [ "$dup" -eq 0 ]; then
        echo "check-negatives: $s reports no duplicates: the negative control proves nothing" >&2
        exit 1
    fi
    echo "check-negatives: $(basename "$(dirname "$s")"): $dup duplicated, as it must"
done
[ "$found" -gt 0 ] || { echo "check-negatives: no negative-at-least-once run in $dir" >&2; exit 1; }
