#!/usr/bin/env bash
# Installs the Debian packages snapbed builds against, when missing.
# Runs as root, or through sudo when not root.
set -euo pipefail

# Libraries to build against, then programs the tests run: Debian's
# chromium opens report.html headless (tests/report-browser.sh), with a
# font so that its screenshot shows text; clang and its libFuzzer runtime
# build the fuzz harnesses (make fuzz); iproute2's `ip` makes the network
# namespaces of a { broker: partition } fault.
pkgs=(build-essential pkg-config librdkafka-dev libck-dev libcunit1-dev
      libgraphviz-dev libcurl4-openssl-dev libyaml-dev libjansson-dev
      libxml2-dev zlib1g-dev clang libclang-rt-14-dev
      chromium fonts-dejavu-core iproute2)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null \
        || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "deps: missing ${missing[*]} and not root (no sudo): install them first" >&2
        exit 1
    fi
fi
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
