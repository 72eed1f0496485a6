#!/usr/bin/env bash
# layers.sh — the layer rule of docs/design.md, checked from the #include
# lines: includes point down only.
#
#     cli → viz → sim → verify, faultinject → runtime
#
# verify and faultinject are siblings (neither includes the other); a folder
# may always include its own headers. tests/ and bench/ may include anything
# and are not checked.
#
# The build puts every folder on -I, so a header is included by its bare
# name; this script finds which folder holds each name. A name that no
# folder holds, or that several hold, is an error too, so that a typo or a
# shadowing header cannot hide a violation. An include by path ("x/y.h") is
# refused for the same reason.
#
# On top of the layers, the pure protocol core (PURE_CORE below) may include
# only the headers in PURE_CORE_MAY_INCLUDE and system headers.
#
# Usage: scripts/layers.sh [ROOT]    (ROOT: the tree to check; default: the
# repository this script is in). Exit 0 and one closing line
# "layers: OK (N files, M includes)"; exit 1 and one line per violation
# "FILE:LINE: includes DIR/NAME.h (LAYER may not include LAYER2)";
# exit 2 on bad usage.
set -euo pipefail

# The layers, bottom first, and what each may include besides itself.
LAYERS=(runtime faultinject verify sim viz cli)
declare -A MAY_INCLUDE=(
    [runtime]=""
    [faultinject]="runtime"
    [verify]="runtime"
    [sim]="verify faultinject runtime"
    [viz]="sim verify faultinject runtime"
    [cli]="viz sim verify faultinject runtime"
)

# The pure protocol core: no threads, clocks, I/O or scenario parsing, so
# that the runtime and the simulator drive the same code.
PURE_CORE=(runtime/barrier.h runtime/coordinator.h)
PURE_CORE_MAY_INCLUDE=(err.h vocab.h)

usage() {
    echo "usage: scripts/layers.sh [ROOT]" >&2
    exit 2
}

case $# in
    0) root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) ;;
    1) [[ $1 == -h || $1 == --help ]] && usage
       [[ -d $1 ]] || { echo "layers: $1 is not a folder" >&2; exit 2; }
       root=$(cd "$1" && pwd) ;;
    *) usage ;;
esac
cd "$root"

# Which folders hold each header name: HOLDERS[name]="dir dir…".
declare -A HOLDERS=()
files=()
for dir in "${LAYERS[@]}"; do
    [[ -d $dir ]] || continue
    for f in "$dir"/*.c "$dir"/*.h; do
        [[ -f $f ]] || continue
        files+=("$f")
        if [[ $f == *.h ]]; then
            name=${f##*/}
            HOLDERS[$name]="${HOLDERS[$name]:-}${HOLDERS[$name]:+ }$dir"
        fi
    done
done

violations=0
includes=0
report() {
    echo "$1" >&2
    violations=$((violations + 1))
}

in_list() {   # in_list WORD LIST…
    local w=$1
    shift
    local x
    for x in "$@"; do
        [[ $x == "$w" ]] && return 0
    done
    return 1
}

is_pure_core() {
    in_list "$1" "${PURE_CORE[@]}"
}

join() {   # join WORD…: "a, b, c"
    local IFS=,
    local s="$*"
    echo "${s//,/, }"
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^">]+)[">]'

for f in ${files[@]+"${files[@]}"}; do
    layer=${f%%/*}
    while IFS= read -r hit; do
        lineno=${hit%%:*}
        line=${hit#*:}
        [[ $line =~ $include_re ]] || continue
        quote=${BASH_REMATCH[1]}
        name=${BASH_REMATCH[2]}
        holders=${HOLDERS[$name]:-}
        if [[ $quote == "<" ]]; then
            # A system header, unless a layer folder holds that name: with
            # -I for every folder, <name.h> finds the project's header first.
            [[ -z $holders ]] && continue
        elif [[ $name == */* ]]; then
            includes=$((includes + 1))
            report "$f:$lineno: includes \"$name\" by path (include by bare name: the build puts every folder on -I)"
            continue
        fi
        includes=$((includes + 1))
        if [[ -z $holders ]]; then
            report "$f:$lineno: includes $name, which no layer folder holds (${LAYERS[*]})"
            continue
        fi
        # "x.h" is found in the including file's own folder first.
        read -r -a where <<<"$holders"
        if in_list "$layer" "${where[@]}"; then
            target=$layer
        elif ((${#where[@]} > 1)); then
            report "$f:$lineno: includes $name, which several layer folders hold (${where[*]/%//$name})"
            continue
        else
            target=${where[0]}
        fi
        if is_pure_core "$f" && ! in_list "$name" "${PURE_CORE_MAY_INCLUDE[@]}"; then
            report "$f:$lineno: includes $target/$name (the pure core: $(join "${PURE_CORE[@]}") may include only: $(join "${PURE_CORE_MAY_INCLUDE[@]}"), and system headers)"
            continue
        fi
        if [[ $target != "$layer" ]]; then
            read -r -a allowed <<<"${MAY_INCLUDE[$layer]}"
            if ! in_list "$target" ${allowed[@]+"${allowed[@]}"}; then
                report "$f:$lineno: includes $target/$name ($layer may not include $target)"
            fi
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done

if ((violations > 0)); then
    echo "layers: $violations violation(s) in ${#files[@]} files, $includes includes (rule: cli → viz → sim → verify, faultinject → runtime; docs/design.md)" >&2
    exit 1
fi
echo "layers: OK (${#files[@]} files, $includes includes)"
