#!/usr/bin/env bash
# SIP signalling benchmark: SIPp uac -> voxgraph gateway -> SIPp uas on
# loopback, ramping the call rate. For each rate it reports calls, failed
# calls, INVITE->200 response time percentiles (SIPp -trace_rtt) and the
# gateway's CPU time per call (utime+stime from /proc, so other load on the
# machine does not inflate it). Not a test: run it by hand.
#
#   ./benchmarks/sip/run.sh [RATES...]     default: 50 100 200 300 400 500 600
#   ./benchmarks/sip/run.sh --rtp [RATES...]   with RTP on every call; default: 5 10 20 30 40
#   VOXGRAPH_CPUPROFILE=/tmp/gw.prof ./benchmarks/sip/run.sh 100   # profile the gateway
#
# Signalling mode: each call lasts 1 s (-d 1000); each step places rate x 10
# calls. The gateway builds a media graph and binds two RTP ports per call
# even though SIPp sends no RTP: this is "signalling + call setup" cost.
# RTP mode: SIPp's uac_pcap plays 7 s of PCMA (30 ms packets) and an RFC 4733
# digit on each call, the uas (uas_echo.xml: PCMU and telephone-event,
# -rtp_echo) sends back what it gets, so the gateway transcodes PCMA<->PCMU
# both ways and relays the event; each step places rate x 10 calls of about
# 9 s. The uas's failures are reported too (column uas_failed).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester"; exit 1; }
rtp=false
if [ "${1:-}" = --rtp ]; then rtp=true; shift; fi
rates=("$@")
if [ ${#rates[@]} -eq 0 ]; then
  if $rtp; then rates=(5 10 20 30 40); else rates=(50 100 200 300 400 500 600); fi
fi
tmp=$(mktemp -d)
# SIPp's -bg uas detaches from the shell: stop it by its port as well as the jobs.
trap 'kill -INT $(jobs -p) 2>/dev/null; [ -n "${uas_port:-}" ] && pkill -f "sipp .* -p $uas_port " ; sleep 1; rm -rf "$tmp"' EXIT
go build -o "$tmp/voxgraph" ./cmd/voxgraph

free_port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
uas_port=$(free_port); gw_port=$(free_port); uac_port=$(free_port)
cat > "$tmp/gw.yaml" <<YAML
listen: [{transport: udp, addr: "127.0.0.1:$gw_port"}]
media: {address: 127.0.0.1, ports: 20000-59999, rtp_timeout: 60s}
codecs: [PCMU, PCMA]
routes:
  - {name: bench, request_uri: '^sip:service@', forward: 'sip:service@127.0.0.1:$uas_port', open: true}
YAML
uas_extra=() uac_scn=uac uac_extra=(-d 1000)
if $rtp; then
  pcaps=/usr/share/sip-tester
  [ -f "$pcaps/g711a.pcap" ] || { echo "$pcaps/g711a.pcap missing (Debian's sip-tester ships it)"; exit 1; }
  mkdir -p "$tmp/pcap" && ln -s "$pcaps"/*.pcap "$tmp/pcap/"
  cp benchmarks/sip/uas_echo.xml "$tmp/"
  uas_extra=(-rtp_echo) uac_scn=uac_pcap uac_extra=()
fi
uas_scn=(-sn uas); $rtp && uas_scn=(-sf uas_echo.xml)
(cd "$tmp" && sipp "${uas_scn[@]}" -i 127.0.0.1 -p "$uas_port" -mp "$(free_port)" "${uas_extra[@]}" -nostdin -bg \
   -trace_err -error_file "$tmp/uas_errors.log" >/dev/null 2>&1) || true
uas_failures() { grep -cE "Aborting call|timed out|Call-Id .* failed" "$tmp/uas_errors.log" 2>/dev/null || true; }
sleep 0.5
loglevel=error; $rtp && loglevel=info   # RTP mode reads each call's media counters from "call ended"
"$tmp/voxgraph" gateway --config "$tmp/gw.yaml" --log-level "$loglevel" ${VOXGRAPH_CPUPROFILE:+--cpuprofile "$VOXGRAPH_CPUPROFILE"} >"$tmp/gw.log" 2>&1 &
gw_pid=$!
sleep 1
clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$gw_pid/stat"; }

printf '%-6s %-6s %-6s %-10s %-9s %-9s %-9s %-12s %s\n' rate calls failed uas_failed p50_ms p90_ms p99_ms cpu_ms/call result
for r in "${rates[@]}"; do
  n=$((r * 10))
  before=$(cpu_ticks) uas_before=$(uas_failures)
  set +e
  (cd "$tmp" && sipp -sn "$uac_scn" 127.0.0.1:"$gw_port" -s service -i 127.0.0.1 -p "$uac_port" -mp "$(free_port)" \
     -r "$r" -m "$n" -l $((r * 12)) "${uac_extra[@]}" -nostdin -timeout 180s -timeout_error \
     -trace_rtt -rtt_freq 1 -trace_stat -fd 1 >"$tmp/uac-$r.out" 2>&1)
  code=$?
  set -e
  after=$(cpu_ticks)
  stat=$(ls -t "$tmp"/uac_*_.csv 2>/dev/null | head -1 || true)
  failed=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="FailedCall(C)") c=i} END{print $c+0}' "$stat" 2>/dev/null || echo "?")
  rtt=$(ls -t "$tmp"/uac_*_rtt.csv 2>/dev/null | head -1 || true)
  read -r p50 p90 p99 < <(awk -F';' 'NR>1 && $3+0>0 {print $3}' "$rtt" 2>/dev/null | sort -g | \
     awk 'function q(p,  i) { i = int(NR * p); if (i < 1) i = 1; return a[i] }
          {a[NR]=$1} END{if(NR==0){print "- - -"; exit} printf "%.1f %.1f %.1f\n", q(0.5), q(0.9), q(0.99)}')
  cpu=$(awk -v t=$((after - before)) -v hz="$clk" -v n="$n" 'BEGIN{printf "%.3f", t*1000/hz/n}')
  sleep 1   # the uas answers the last BYEs
  uas_failed=$(( $(uas_failures) - uas_before ))
  result=ok; [ "$code" -eq 0 ] && [ "$uas_failed" -eq 0 ] || result="sipp exit $code, uas failures $uas_failed"
  printf '%-6s %-6s %-6s %-10s %-9s %-9s %-9s %-12s %s\n' "$r" "$n" "$failed" "$uas_failed" "$p50" "$p90" "$p99" "$cpu" "$result"
  if $rtp; then
    # Media per call, from the gateway's "call ended" lines of this step:
    # packets in from the caller (the pcap has 236) and the callee, packets
    # out to each, packets the jitter buffers found lost, RFC 4733 events
    # relayed. Media is "short" when the gateway sent the callee under 97%
    # of what it sent per call at the first step: it fell behind real time.
    read -r ain bin bout aout lost ev ncalls < <(grep 'msg="call ended"' "$tmp/gw.log" | tail -n "$n" | awk '
      { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } c++ }
      END { if (c == 0) c = 1
            printf "%.1f %.1f %.1f %.1f %.2f %.2f %d\n", v["media.a_rx_packets"]/c, v["media.b_rx_packets"]/c,
              v["media.b_tx_packets"]/c, v["media.a_tx_packets"]/c, (v["media.a_jb_lost"]+v["media.b_jb_lost"])/c, v["media.a_rx_events"]/c, c }')
    base=${base:-$bout}
    short=$(awk -v b="$bout" -v base="$base" 'BEGIN{print (b < 0.97*base) ? "yes" : "no"}')
    printf '       media per call (%s calls): caller->gw %s pkts, callee->gw %s, gw->callee %s, gw->caller %s, lost %s, events %s; short: %s\n' \
      "$ncalls" "$ain" "$bin" "$bout" "$aout" "$lost" "$ev" "$short"
    [ "$short" = no ] || break
  fi
  rm -f "$tmp"/uac_*_rtt.csv "$tmp"/uac_*_.csv
  [ "$result" = ok ] || break
  sleep 2   # let the last calls' transactions finish
done
