#!/usr/bin/env bash
# voxgraph beside GStreamer on the same work, in one run, on this machine:
# STREAMS calls of PCMU in → jitter buffer → decode → A-law → SRTP out, each
# engine fed by the same sender (voxgraph bench-sender: synthetic speech,
# one RTP packet per 20 ms per stream over loopback UDP, in its own process).
#
#   benchmarks/compare/gstreamer.sh [STREAMS [SECONDS]]     (default 100 20)
#
# Reports, for each engine, CPU milliseconds per stream-second (the engine
# process's user + system time from /proc/PID/stat over the measured window,
# which excludes the sender) and streams per core, the ratio, and per-element
# latency: GStreamer's from its own latency tracer (flags=pipeline+element,
# on a shorter run of TRACE_STREAMS streams, since tracing every buffer has
# a cost of its own), voxgraph's from voxgraph bench's table.
set -euo pipefail
cd "$(dirname "$0")/../.."

STREAMS=${1:-100}
SECONDS_=${2:-20}
WARMUP=${WARMUP:-3}
TRACE_STREAMS=${TRACE_STREAMS:-10}
BASE=${BASE:-20000}    # first stream's port; stream i uses BASE + 2i (below the ephemeral range, where the kernel places port-0 sockets)
DRAIN=${DRAIN:-19998}  # where GStreamer's udpsinks send (the sender counts it)

step() { printf '\n== %s\n' "$*"; }

need=()
command -v gst-launch-1.0 >/dev/null || need+=(gstreamer1.0-tools)
gst-inspect-1.0 rtpjitterbuffer >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-good)
gst-inspect-1.0 alawenc >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-good)
gst-inspect-1.0 srtpenc >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-bad)
gst-inspect-1.0 audiomixer >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-base)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: install them (Debian: apt-get install ${need[*]})"; exit 1
  fi
fi

tmp=$(mktemp -d)
gst_pid=
cleanup() { [ -n "$gst_pid" ] && kill "$gst_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

step "building voxgraph"
go build -o "$tmp/voxgraph" ./cmd/voxgraph

# One gst-launch-1.0 pipeline with a branch per stream: the same elements
# as std:g711-transcode (40 ms jitter buffer, as voxgraph's default target).
gst_args() {
  local n=$1 key
  key=$(od -An -tx1 -N30 /dev/urandom | tr -d ' \n')
  for ((i = 0; i < n; i++)); do
    printf '%s\n' udpsrc "port=$((BASE + 2 * i))" "caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0" \
      '!' rtpjitterbuffer latency=40 '!' rtppcmudepay '!' mulawdec '!' alawenc '!' rtppcmapay \
      '!' srtpenc "key=$key" rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 \
      '!' udpsink host=127.0.0.1 "port=$DRAIN" sync=false async=false
  done
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now() { date +%s.%N; }

step "GStreamer $(gst-launch-1.0 --version | awk 'NR==2{print $2}'): $STREAMS streams, ${WARMUP}s warm-up, ${SECONDS_}s measured"
mapfile -t args < <(gst_args "$STREAMS")
gst-launch-1.0 -q "${args[@]}" >"$tmp/gst.out" 2>&1 &
gst_pid=$!
sleep 1
kill -0 "$gst_pid" 2>/dev/null || { cat "$tmp/gst.out"; echo "gst-launch-1.0 failed"; exit 1; }
"$tmp/voxgraph" bench-sender --to "127.0.0.1:$BASE" --streams "$STREAMS" --port-step 2 \
  --duration "$((WARMUP + SECONDS_ + 1))s" --drain-port "$DRAIN" >"$tmp/gst-sender.json" &
sender_pid=$!
sleep "$WARMUP"
c0=$(cpu_ticks "$gst_pid"); t0=$(now)
sleep "$SECONDS_"
c1=$(cpu_ticks "$gst_pid"); t1=$(now)
wait "$sender_pid"
kill "$gst_pid"; wait "$gst_pid" 2>/dev/null || true; gst_pid=
hz=$(getconf CLK_TCK)
gst_ms=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v n="$STREAMS" \
  'BEGIN{printf "%.3f", (c1 - c0) / hz * 1000 / (n * (t1 - t0))}')
echo "GStreamer: $gst_ms ms CPU per stream-second; sender: $(cat "$tmp/gst-sender.json")"

step "voxgraph bench std:g711-transcode --calls $STREAMS --duration ${SECONDS_}s --warmup ${WARMUP}s"
"$tmp/voxgraph" bench std:g711-transcode --calls "$STREAMS" --duration "${SECONDS_}s" --warmup "${WARMUP}s" \
  --json "$tmp/vg.json" | tee "$tmp/vg.txt"
vg_ms=$(awk -F': ' '/"per_call_second_ms"/{gsub(",", "", $2); print $2; exit}' "$tmp/vg.json")

step "GStreamer latency tracer: $TRACE_STREAMS streams, 5 s"
mapfile -t args < <(gst_args "$TRACE_STREAMS")
GST_TRACERS="latency(flags=pipeline+element)" GST_DEBUG=GST_TRACER:7 GST_DEBUG_NO_COLOR=1 \
  GST_DEBUG_FILE="$tmp/trace.log" gst-launch-1.0 -q "${args[@]}" >/dev/null 2>&1 &
gst_pid=$!
sleep 1
"$tmp/voxgraph" bench-sender --to "127.0.0.1:$BASE" --streams "$TRACE_STREAMS" --port-step 2 --duration 5s \
  --drain-port "$DRAIN" >/dev/null
kill "$gst_pid"; wait "$gst_pid" 2>/dev/null || true; gst_pid=
# element-latency records: element=(string)NAME0, time=(guint64)NS. Group by
# element type (the name without its number), quantiles in µs.
grep -o 'element-latency, .*time=(guint64)[0-9].*' "$tmp/trace.log" |
  sed -E 's/.*element=\(string\)([a-z]+)[0-9]*,.*time=\(guint64\)([0-9]+).*/\1 \2/' |
  sort -k1,1 -k2,2n |
  awk '
    function flush() { if (n) printf "  %-16s %8d %9.1f %9.1f %9.1f\n", el, n, v[int(n*0.5)]/1000, v[int(n*0.99)]/1000, v[n-1]/1000 }
    BEGIN { printf "  %-16s %8s %9s %9s %9s\n", "element", "buffers", "p50 µs", "p99 µs", "max µs" }
    $1 != el { flush(); el = $1; n = 0 }
    { v[n++] = $2 }
    END { flush() }'
echo "(GStreamer times each buffer from an element's sink pad to its src pad; rtpjitterbuffer's max is a buffer it held back)"

step "result"
awk -v g="$gst_ms" -v v="$vg_ms" -v n="$STREAMS" 'BEGIN{
  printf "  %-10s %8s %22s %18s\n", "engine", "streams", "ms CPU/stream-second", "streams per core"
  printf "  %-10s %8d %22.3f %18.0f\n", "GStreamer", n, g, 1000 / g
  printf "  %-10s %8d %22.3f %18.0f\n", "voxgraph", n, v, 1000 / v
  printf "  voxgraph uses %.1f× less CPU per stream than GStreamer on this machine\n", g / v
}'
