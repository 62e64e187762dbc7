#!/usr/bin/env bash
# The project's whole test suite: formatting, vet, a pure-Go (CGO_ENABLED=0)
# build of the core, the runnable example, the bench smoke run, the short DSP
# benchmark (benchmarks/dsp), all tests with the race detector, then vet and
# tests of the codec plugin modules (plugins/opus, plugins/g729).
# Usage: ./scripts/test.sh        (the README's test command; CI runs it too)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

command -v go >/dev/null || { echo "go is not installed (https://go.dev/doc/install)"; exit 1; }

# The race detector needs cgo and a C compiler. Install gcc on a fresh
# Debian machine; without it (and outside CI) fall back to plain tests.
race=-race
if ! command -v gcc >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "installing gcc for the race detector"
    apt-get update -qq && apt-get install -y -qq gcc >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "gcc is missing and cannot be installed: the race detector cannot run"; exit 1
  else
    echo "note: gcc not found, running tests without -race"; race=
  fi
fi

# System peers the integration tests talk to (installed when missing; under
# CI=true a peer that cannot be installed fails the run, it is never skipped).
need_pkgs=()
command -v gst-launch-1.0 >/dev/null || need_pkgs+=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
command -v ffmpeg >/dev/null || need_pkgs+=(ffmpeg)        # G.722 cross-decoding
command -v sipp >/dev/null || need_pkgs+=(sip-tester)      # SIPp, the gateway's SIP peer
# The codec plugins (plugins/opus, plugins/g729: own modules, cgo) build on
# the system's libopus and bcg729, found through pkg-config.
have_lib() { pkg-config --exists "$1" 2>/dev/null || [ -f "$2" ]; }
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
have_lib opus /usr/include/opus/opus.h || need_pkgs+=(libopus-dev)
have_lib libbcg729 /usr/include/bcg729/encoder.h || need_pkgs+=(libbcg729-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "installing ${need_pkgs[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "missing ${need_pkgs[*]} and cannot install them (need root and apt-get)"; exit 1
  else
    echo "warning: ${need_pkgs[*]} missing and not installable without root: the interoperability tests that need them will fail"
  fi
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt'ed:"; echo "$unformatted"; exit 1; fi

step "go vet"
go vet ./...

step "core builds with CGO_ENABLED=0"
CGO_ENABLED=0 go build -o /dev/null ./cmd/voxgraph

step "custom element example"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go run ./examples/custom-element -out "$tmp/tremolo.wav" >/dev/null
test -s "$tmp/tremolo.wav"
echo "ok"

step "voxgraph bench smoke: std:full, 50 calls, 10 s (the harness must not rot)"
go build -o "$tmp/voxgraph" ./cmd/voxgraph
"$tmp/voxgraph" bench std:full --calls 50 --duration 10s --warmup 1s --json "$tmp/bench.json" --plot "$tmp/bench.png"
grep -q '"schema": "voxgraph-bench/1"' "$tmp/bench.json"
grep -q '"calls_per_core"' "$tmp/bench.json"
test -s "$tmp/bench.png"
echo "ok"

step "DSP benchmark, short: our aec/ns/agc/vad/dtmf beside speexdsp and WebRTC (installs espeak-ng, sox, libspeexdsp-dev, libwebrtc-audio-processing-dev)"
benchmarks/dsp/run.sh --short --workdir "$tmp/dsp"

step "go test $race ./..."
go test $race -count=1 -timeout 20m ./...

# The codec plugins are modules of their own (cgo on libopus and bcg729),
# which ./... of the core does not reach: vet and test each in its
# directory (their tests build the plugin binary and run it as a plugin).
for mod in plugins/opus plugins/g729; do
  step "$mod: go vet ./... && go test $race ./..."
  (cd "$mod" && CGO_ENABLED=1 go vet ./... && CGO_ENABLED=1 go test $race -count=1 -timeout 10m ./...)
done

