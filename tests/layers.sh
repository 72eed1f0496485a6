#!/usr/bin/env bash
# tests/layers.sh — scripts/layers.sh must be able to fail. It checks a tiny
# fake tree in a temporary folder: clean, it passes with the right counts;
# with one planted bad include at a time, it fails with exit 1 and names
# the file, the line and the rule broken.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
layers="$here/scripts/layers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
fail() {
    echo "tests/layers.sh: FAIL: $*" >&2
    exit 1
}

# A clean tree: every layer includes only itself and the layers below.
make_tree() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t"/{runtime,faultinject,verify,sim,viz,cli,tests}
    cd "$tmp/t"
    printf '#include <stdio.h>\n' >runtime/err.h
    printf '#include "err.h"\n' >runtime/vocab.h
    printf '#include <stdbool.h>\n#include "err.h"\n#include "vocab.h"\n' >runtime/barrier.h
    printf '#include "err.h"\n' >runtime/scenario.h
    printf '#include "barrier.h"\n#include "scenario.h"\n' >runtime/x.c
    printf '#include "err.h"\n' >faultinject/crashpoint.h
    printf '#include "crashpoint.h"\n#include "vocab.h"\n' >faultinject/crashpoint.c
    printf '#include "err.h"\n' >verify/cut.h
    printf '#include "cut.h"\n' >verify/cut.c
    printf '#include "cut.h"\n#include "crashpoint.h"\n' >sim/sim.h
    printf '#include "sim.h"\n' >viz/viz.h
    printf '#include "viz.h"\n#include "sim.h"\n' >cli/main.c
    # tests/ may include anything and is not checked.
    printf '#include "viz.h"\n#include "nowhere.h"\n' >tests/test_x.c
    cd - >/dev/null
}

run() {   # run: sets out and rc
    set +e
    out=$(bash "$layers" "$tmp/t" 2>&1)
    rc=$?
    set -e
}

expect_ok() {   # expect_ok WHAT EXPECTED-LINE
    run
    [[ $rc == 0 ]] || fail "$1: exit $rc, expected 0; output:"$'\n'"$out"
    [[ $out == "$2" ]] || fail "$1: printed"$'\n'"$out"$'\n'"expected"$'\n'"$2"
    passed=$((passed + 1))
}

expect_violation() {   # expect_violation WHAT EXPECTED-LINE
    run
    [[ $rc == 1 ]] || fail "$1: exit $rc, expected 1; output:"$'\n'"$out"
    grep -qxF -- "$2" <<<"$out" || fail "$1: no line"$'\n'"$2"$'\n'"in"$'\n'"$out"
    grep -q '^layers: 1 violation' <<<"$out" || fail "$1: not exactly one violation:"$'\n'"$out"
    passed=$((passed + 1))
}

# 1. Clean: 12 files (tests/ not counted), 16 project includes.
make_tree
expect_ok "clean tree" "layers: OK (12 files, 16 includes)"

# 2. Upward: the runtime includes viz's header.
make_tree
printf '#include "barrier.h"\n#include "viz.h"\n' >"$tmp/t/runtime/x.c"
expect_violation "upward include" \
    "runtime/x.c:2: includes viz/viz.h (runtime may not include viz)"

# 3. Siblings: verify includes faultinject's header.
make_tree
printf '#include "cut.h"\n#include "crashpoint.h"\n' >"$tmp/t/verify/cut.c"
expect_violation "sibling include" \
    "verify/cut.c:2: includes faultinject/crashpoint.h (verify may not include faultinject)"

# 4. The pure core includes the scenario parser's header (same layer).
make_tree
printf '#include <stdbool.h>\n#include "err.h"\n#include "scenario.h"\n' >"$tmp/t/runtime/barrier.h"
expect_violation "pure core" \
    "runtime/barrier.h:3: includes runtime/scenario.h (the pure core: runtime/barrier.h, runtime/coordinator.h may include only: err.h, vocab.h, and system headers)"

# 5. A name no folder holds (a typo must not hide a violation).
make_tree
printf '#include "veiw.h"\n' >"$tmp/t/cli/main.c"
expect_violation "unknown header" \
    "cli/main.c:1: includes veiw.h, which no layer folder holds (runtime faultinject verify sim viz cli)"

# 6. Angle brackets do not hide a project header (-I finds it first).
make_tree
printf '#include <stdio.h>\n#include <sim.h>\n' >"$tmp/t/runtime/x.c"
expect_violation "angle-bracket include" \
    "runtime/x.c:2: includes sim/sim.h (runtime may not include sim)"

# 7. An include by path is refused.
make_tree
printf '#include "../viz/viz.h"\n' >"$tmp/t/sim/sim.c"
expect_violation "include by path" \
    "sim/sim.c:1: includes \"../viz/viz.h\" by path (include by bare name: the build puts every folder on -I)"

# 8. Two folders hold the same name: ambiguous, unless it is the includer's own.
make_tree
printf '\n' >"$tmp/t/sim/util.h"
printf '\n' >"$tmp/t/viz/util.h"
printf '#include "sim.h"\n#include "util.h"\n' >"$tmp/t/sim/sim.c"
printf '#include "viz.h"\n#include "util.h"\n' >"$tmp/t/cli/main.c"
expect_violation "ambiguous header" \
    "cli/main.c:2: includes util.h, which several layer folders hold (sim/util.h viz/util.h)"

# 9. Several violations are all listed, each on its line.
make_tree
printf '#include "viz.h"\n#include "cli.h"\n' >"$tmp/t/runtime/x.c"
printf '#include "x"\n' >"$tmp/t/cli/cli.h"
run
[[ $rc == 1 ]] || fail "two violations: exit $rc"
[[ $(grep -c ': includes ' <<<"$out") == 3 ]] || fail "two upward includes and an unknown name: expected 3 lines:"$'\n'"$out"
passed=$((passed + 1))

# 10. Bad usage.
set +e
bash "$layers" "$tmp/no-such-folder" >/dev/null 2>&1
rc=$?
set -e
[[ $rc == 2 ]] || fail "missing root: exit $rc, expected 2"
passed=$((passed + 1))

echo "tests/layers.sh: $passed checks passed"
