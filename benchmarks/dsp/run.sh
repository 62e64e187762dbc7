#!/usr/bin/env bash
# The DSP benchmark: voxgraph's `voxgraph dsp aec|ns|agc|vad|dtmf` against
# speexdsp and WebRTC audio processing on a generated corpus.
#
#   benchmarks/dsp/run.sh [--short] [--workdir DIR] [--jobs N]
#
# Installs what is missing (Debian), builds voxgraph from this checkout and
# the reference runners, generates the corpus (deterministic), runs every
# tool and scores it. The full run writes benchmarks/dsp/results/dsp.json and
# the table in benchmarks/dsp/README.md; --short (8 kHz, a few files per
# family, about 2 minutes on 2 cores) writes only into the work directory.
# Exits non-zero if a tool or reference fails to run or a score cannot be
# computed, not when a target is missed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
short=0
work="$here/work"
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --short) short=1 ;;
    --workdir) work=${2:?--workdir needs a directory}; shift ;;
    --workdir=*) work=${1#--workdir=} ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (want --short, --workdir DIR, --jobs N)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
start=$(date +%s)
log() { echo "dspbench: $*" >&2; }

# 1. Dependencies.
need_pkgs=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pc() { have_cmd pkg-config && pkg-config --exists "$1"; }
have_cmd espeak-ng || need_pkgs+=(espeak-ng)
have_cmd sox || need_pkgs+=(sox)
have_cmd g++ || need_pkgs+=(g++)
have_cmd pkg-config || need_pkgs+=(pkg-config)
have_pc speexdsp || need_pkgs+=(libspeexdsp-dev)
have_pc webrtc-audio-processing || need_pkgs+=(libwebrtc-audio-processing-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; }; then
    log "could not install ${need_pkgs[*]}"
    exit 1
  fi
fi
for c in espeak-ng sox g++ pkg-config go; do
  have_cmd "$c" || { log "$c is missing"; exit 1; }
done
for p in speexdsp webrtc-audio-processing; do
  have_pc "$p" || { log "pkg-config $p is missing"; exit 1; }
done

# 2. Builds: voxgraph from this checkout, the Go programs, the references.
bin="$work/bin"
mkdir -p "$bin"
log "building voxgraph and the benchmark programs"
(cd "$root" && go build -o "$bin/voxgraph" ./cmd/voxgraph \
  && go build -o "$bin/corpus" ./benchmarks/dsp/cmd/corpus \
  && go build -o "$bin/score" ./benchmarks/dsp/cmd/score)
log "building the speexdsp and WebRTC reference runners"
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$bin/speex_ref" "$here/ref/speex_ref.c" $(pkg-config --cflags --libs speexdsp)
# shellcheck disable=SC2046
g++ -O2 -Wall -std=c++11 -o "$bin/webrtc_ref" "$here/ref/webrtc_ref.cc" $(pkg-config --cflags --libs webrtc-audio-processing)

# 3. Corpus.
kind=full
corpus_flags=()
if [ "$short" -eq 1 ]; then kind=short; corpus_flags=(--short); fi
corpus="$work/corpus-$kind"
log "generating the $kind corpus in $corpus"
"$bin/corpus" --out "$corpus" --cache "$work/cache" "${corpus_flags[@]}"

# 4. Run and score.
cmdline="benchmarks/dsp/run.sh"
[ "$short" -eq 1 ] && cmdline="$cmdline --short"
score_flags=(--corpus "$corpus" --outdir "$work/out-$kind" --jobs "$jobs"
  --voxgraph "$bin/voxgraph" --speex "$bin/speex_ref" --webrtc "$bin/webrtc_ref" --command "$cmdline")
rm -rf "$work/out-$kind"
if [ "$short" -eq 1 ]; then
  score_flags+=(--json "$work/results-short.json")
else
  mkdir -p "$here/results"
  score_flags+=(--json "$here/results/dsp.json" --readme "$here/README.md")
fi
log "running the tools and scoring"
set +e
"$bin/score" "${score_flags[@]}" >"$work/results-$kind.md"
rc=$?
set -e
cat "$work/results-$kind.md"
log "$kind run took $(( $(date +%s) - start )) s (exit $rc); table in $work/results-$kind.md"
exit $rc
