#!/usr/bin/env bash
# The report in a real browser: runs a real scenario, opens its report.html
# in headless Chromium (Debian's `chromium`) and fails when the page logs a
# script error or a failed resource load, when the rendered DOM references a
# file that is not there or anything on the network, or when it lacks a
# section of the report or the SVG pictures. The screenshot is kept as an
# artifact under out/.
#
# Before the pictures of `snapbed viz` exist, the run folder gets stand-ins
# (viz/timeline.svg and one checkpoint's viz/chk-N-*.svg), drawn by
# Graphviz's `dot` when it is installed, else written by hand; each says
# STAND-IN. A negative control first checks that this Chromium does log a
# script error and that a missing file is found, so that a clean result
# means something.
#
# usage: tests/report-browser.sh
#   SNAPBED=…     the binary (default ./build/snapbed)
#   SCENARIO=…    the scenario to run (default scenarios/quickstart.yaml)
#   CHROMIUM=…    the browser (default: chromium, chromium-browser)
# Works as root in a container (--no-sandbox); every Chromium runs in its own
# process group under `timeout`, and the group is killed when it is done.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
bin=${SNAPBED:-./build/snapbed}
scenario=${SCENARIO:-scenarios/quickstart.yaml}
out=out/report-browser-$(date +%Y%m%d-%H%M%S)-$$
browser_timeout_s=90

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "report-browser: ok: $*"; }
fail() { failed=$((failed + 1)); echo "report-browser: FAILED: $*" >&2; }
finish() {
    echo "report-browser: artifacts in $out"
    echo "report-browser: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser; do
        if command -v "$b" >/dev/null; then browser=$b; break; fi
    done
fi
if [ -z "$browser" ]; then
    echo "report-browser: no chromium found: run scripts/deps.sh (Debian package chromium)" >&2
    exit 1
fi
mkdir -p "$out"
profile=$(mktemp -d /tmp/sb-report-browser-XXXXXX)

# ------------------------------------------------------------ Chromium

group=""     # the running Chromium's process group, while it runs
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -z "$group" ] || kill -KILL -- "-$group" 2>/dev/null
    rm -rf "$profile"
}
trap cleanup EXIT

# chromium LOG ARGS...: one headless Chromium; its stderr (console messages
# and load errors, with --enable-logging=stderr) goes to LOG, stdout to
# stdout. `timeout` leads its own process group, so once it is done the
# group (renderers, GPU and utility processes) is killed by its id.
chromium() {
    local log="$1" pid rc
    shift
    timeout -k 5 "$browser_timeout_s" "$browser" \
        --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --no-default-browser-check --disable-extensions \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --no-pings --metrics-recording-only \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 \
        --virtual-time-budget=5000 --window-size=1280,2000 "$@" 2>"$log" &
    pid=$!
    group=$pid
    wait "$pid"
    rc=$?
    kill -KILL -- "-$pid" 2>/dev/null
    group=""
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "(chromium timed out after ${browser_timeout_s}s)" >>"$log"
    return "$rc"
}

# The page's own errors that Chromium logs: uncaught script errors and
# failed loads.
page_errors() {
    grep -E 'Uncaught|Failed to load resource|net::ERR_' "$1"
}

# Chromium does not log a file:// load that fails, so every src and href of
# the rendered DOM is checked too: nothing from the network, and each file
# (not an anchor or a data: URL) exists beside the page. Prints the bad ones.
broken_references() { # DOM DIR
    grep -oE '(src|href)="[^"]*"' "$1" | sed -E 's/^(src|href)="(.*)"$/\2/' | sort -u |
        while IFS= read -r ref; do
            case "$ref" in
            '#'* | data:*) ;;
            http:* | https:* | //*) echo "network: $ref" ;;
            *) [ -e "$2/${ref%%[?#]*}" ] || echo "missing: $ref" ;;
            esac
        done
}

# ---------------------------------------------------- negative control

neg="$out/negative-control"
mkdir -p "$neg"
cat >"$neg/page.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>negative control</title></head>
<body><img src="missing.png" alt="a file that does not exist">
<script>no_such_function();</script></body></html>
EOF
chromium "$neg/chromium.log" --dump-dom "file://$PWD/$neg/page.html" >"$neg/dom.html"
if page_errors "$neg/chromium.log" | grep 'Uncaught ReferenceError: no_such_function' >/dev/null; then
    pass "the negative control's script error is in Chromium's log"
else
    fail "Chromium did not log the negative control's script error (see $neg/chromium.log):" \
         "a clean log would prove nothing"
    finish
fi
if broken_references "$neg/dom.html" "$neg" | grep -x 'missing: missing.png' >/dev/null; then
    pass "the negative control's missing image is found in its DOM"
else
    fail "the reference check missed the negative control's missing image (see $neg/dom.html)"
    finish
fi

# ------------------------------------------------------------ the run

run="$out/run"
echo "report-browser: running $scenario into $run"
"$bin" run "$scenario" -o "$run" -q >"$out/run.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "report-browser: note: snapbed run exited $rc (see $out/run.log); checking its report anyway"
fi
if [ -f "$run/report.html" ] && grep -q "report .*$run/report.html" "$out/run.log"; then
    pass "snapbed run wrote report.html and printed its path"
else
    fail "snapbed run wrote no report.html (see $out/run.log)"
    finish
fi

# ---------------------------------------------------------- stand-ins

# The first checkpoint of the table gets stand-in pictures.
chk=$(grep -o 'id="chk-[0-9]*"' "$run/report.html" | head -1 | tr -dc '0-9')
standins=0
standin_svg() { # FILE TITLE
    local file="$1" title="$2"
    if command -v dot >/dev/null; then
        printf 'digraph standin { label="STAND-IN: %s (drawn by the test, not by snapbed viz)";\n
                source -> map -> filter -> sink; }\n' "$title" | dot -Tsvg >"$file"
    else
        cat >"$file" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- STAND-IN written by tests/report-browser.sh, not by snapbed viz -->
<svg xmlns="http://www.w3.org/2000/svg" width="480" height="60" viewBox="0 0 480 60">
<rect x="1" y="1" width="478" height="58" fill="#fff8e1" stroke="#999"/>
<text x="10" y="35" font-family="sans-serif" font-size="14">STAND-IN: $title</text>
</svg>
EOF
    fi
}
if [ ! -f "$run/viz/timeline.svg" ]; then
    mkdir -p "$run/viz"
    standin_svg "$run/viz/timeline.svg" "timeline"
    for kind in graph spacetime gantt; do
        [ -n "$chk" ] && standin_svg "$run/viz/chk-$chk-$kind.svg" "checkpoint $chk $kind"
    done
    echo "stand-in pictures written by tests/report-browser.sh until snapbed viz draws them" \
        >"$run/viz/STAND-IN.txt"
    standins=1
    echo "report-browser: no pictures from snapbed viz yet: stand-ins in $run/viz" \
         "($(command -v dot >/dev/null && echo 'drawn by dot' || echo 'written by hand'))"
    "$bin" report "$run" >/dev/null || fail "snapbed report $run failed"
fi

# --------------------------------------------------------- the report

url="file://$PWD/$run/report.html"
shot="$out/report.png"
chromium "$out/chromium-screenshot.log" --screenshot="$PWD/$shot" "$url" >/dev/null
if [ -s "$shot" ] && [ "$(stat -c %s "$shot")" -gt 10000 ]; then
    pass "screenshot $shot"
else
    fail "no screenshot (see $out/chromium-screenshot.log)"
fi
chromium "$out/chromium-dom.log" --dump-dom "$url" >"$out/dom.html"
for log in "$out/chromium-screenshot.log" "$out/chromium-dom.log"; do
    if errors=$(page_errors "$log"); then
        fail "the page logged errors in $log:"
        echo "$errors" | head -20 >&2
    else
        pass "no script error, no failed load in $(basename "$log")"
    fi
done

if bad=$(broken_references "$out/dom.html" "$run") && [ -n "$bad" ]; then
    fail "the page references what it cannot load:"
    echo "$bad" | head -20 >&2
else
    pass "every src and href of the page is a file beside it (or an anchor)"
fi

missing=()
for id in summary timeline checkpoints faults scenario texttrace; do
    grep -q "<section id=\"$id\">" "$out/dom.html" || missing+=("$id")
done
grep -q 'EXACTLY-ONCE: <span class="ok">OK</span>' "$out/dom.html" || missing+=("verdict OK")
grep -q '<tr class="completed" id="chk-' "$out/dom.html" || missing+=("a completed checkpoint row")
grep -q '<pre>time ' "$out/dom.html" || missing+=("the text trace")
if [ -f "$run/viz/timeline.svg" ]; then
    # Not `grep -q`: it would stop reading early, sed would die of SIGPIPE
    # and pipefail would fail the pipeline with the <svg> right there.
    [ "$(sed -n '/<section id="timeline">/,/<\/section>/p' "$out/dom.html" | grep -c '<svg')" -gt 0 ] ||
        missing+=("the timeline <svg>")
fi
for f in "$run"/viz/chk-*-*.svg; do
    [ -f "$f" ] || continue
    grep -q "href=\"viz/$(basename "$f")\"" "$out/dom.html" || missing+=("a link to viz/$(basename "$f")")
done
if [ ${#missing[@]} -eq 0 ]; then
    pass "the DOM has every section, the verdict, the table, the text trace and the pictures" \
         "$([ "$standins" -eq 1 ] && echo '(stand-ins)')"
else
    fail "the DOM lacks: ${missing[*]} (see $out/dom.html)"
fi

echo "report-browser: screenshot: $shot"
finish
