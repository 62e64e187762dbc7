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
# digit on each call, the uas (PCMU, -rtp_echo) sends back what it gets, so
# the gateway transcodes PCMA<->PCMU both ways and relays the event; each
# step places rate x 10 calls of about 9 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester"; exit 1; }
rtp=false
if [ "${1:-}" = --rtp ]; then rtp=true; shift; fi
rates=("$@")
if [ ${#rates[@]} -eq 0 ]; then
  if $rtp; then rates=(5 10 20 30 40); else rates=(50 100 200 300 400 500 600); fi
fi
tmp=$(mktemp -d); trap 'kill -INT $(jobs -p) 2>/dev/null; sleep 1; rm -rf "$tmp"' EXIT
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
  uas_extra=(-rtp_echo) uac_scn=uac_pcap uac_extra=()
fi
(cd "$tmp" && sipp -sn uas -i 127.0.0.1 -p "$uas_port" -mp "$(free_port)" "${uas_extra[@]}" -nostdin -bg >/dev/null 2>&1) || true
sleep 0.5
"$tmp/voxgraph" gateway --config "$tmp/gw.yaml" --log-level error ${VOXGRAPH_CPUPROFILE:+--cpuprofile "$VOXGRAPH_CPUPROFILE"} >"$tmp/gw.log" 2>&1 &
gw_pid=$!
sleep 1
clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$gw_pid/stat"; }

printf '%-6s %-6s %-6s %-9s %-9s %-9s %-12s %s\n' rate calls failed p50_ms p90_ms p99_ms cpu_ms/call result
for r in "${rates[@]}"; do
  n=$((r * 10))
  before=$(cpu_ticks)
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
  result=ok; [ "$code" -eq 0 ] || result="sipp exit $code"
  printf '%-6s %-6s %-6s %-9s %-9s %-9s %-12s %s\n' "$r" "$n" "$failed" "$p50" "$p90" "$p99" "$cpu" "$result"
  rm -f "$tmp"/uac_*_rtt.csv "$tmp"/uac_*_.csv
  [ "$code" -eq 0 ] || break
  sleep 2   # let the last calls' transactions finish
done
