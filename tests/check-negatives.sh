#!/usr/bin/env bash
# After a suite run: each negative control must have been reported as
# violating in the specific way it violates (not merely as violating
# something), in every seed it ran with:
# - the AT_LEAST_ONCE control duplicates records;
# - the mutant that drops unaligned channel state on restore loses them;
# - the store that skips fsync, with a power loss, loses records (the
#   restart reads from the start, and ids reused find their objects
#   published: the new content is never published).
# usage: tests/check-negatives.sh SUITE_DIR
set -euo pipefail
dir="$1"

# expect_count SCENARIO FIELD WHY: FIELD of the exactly_once summary must be
# above 0 in every run of SCENARIO, and there must be such a run.
expect_count() {
    local scenario="$1" field="$2" why="$3" found=0 s n
    for s in "$dir/$scenario"-seed*/summary.json; do
        [ -f "$s" ] || continue
        found=$((found + 1))
        n=$(sed -n '/"exactly_once"/,/}/p' "$s" | sed -n "s/^ *\"$field\": \\([0-9]*\\).*/\\1/p" | head -1)
        if [ -z "$n" ] || [ "$n" -eq 0 ]; then
            echo "check-negatives: $s reports no $field records: $why" >&2
            exit 1
        fi
        echo "check-negatives: $(basename "$(dirname "$s")"): $n $field, as it must"
    done
    [ "$found" -gt 0 ] || { echo "check-negatives: no $scenario run in $dir" >&2; exit 1; }
}

expect_count negative-at-least-once duplicated "the negative control proves nothing"
expect_count mutant-drop-channel-state lost "dropping channel state went unseen"
expect_count mutant-skip-fsync lost "checkpoints that never reached the disk went unseen"

# The consistent-cut checker (`snapbed check`, also run by `snapbed run`)
# must report every mutant and the at-least-once control from the trace
# alone: each such run's summary.json has "cuts": {"ok": false, ...}.
for s in "$dir"/mutant-*-seed*/summary.json "$dir"/negative-at-least-once-seed*/summary.json; do
    [ -f "$s" ] || continue
    if ! sed -n '/"cuts"/,/}/p' "$s" | grep -q '"ok": false'; then
        echo "check-negatives: $s: the trace checks found nothing: snapbed check misses this bug" >&2
        exit 1
    fi
done
echo "check-negatives: snapbed check reported every mutant and the at-least-once control"
