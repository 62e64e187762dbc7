package rtp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// TestComfortNoiseOverUDP: talk with pauses in noise, sent with DTX (vad,
// encode dtx=true) over real loopback UDP: rtp-src with cn-pt passes the
// RFC 3389 packets on, and decode plays comfort noise in the pauses; without
// cn-pt they are counted as unexpected payload types and nothing is played.
func TestComfortNoiseOverUDP(t *testing.T) {
	talk, _ := vadtest.Talk(8000, 4*time.Second, 31)
	sum := make([]float64, len(talk))
	vadtest.Add(sum, talk, -20)
	vadtest.Add(sum, vadtest.Pink(len(talk), 32), -50)
	path := filepath.Join(t.TempDir(), "in.wav")
	graphtest.WriteWav(t, path, 8000, 1, vadtest.Quantize(sum))

	for _, tc := range []struct {
		name   string
		cnPT   string // receiver's properties
		pt     string // both ends' media payload type, renumbered by rtp-sink pt
		wantCN bool
	}{
		{"cn-pt", " cn-pt=13", "", true},
		{"cn-pt, media renumbered", " cn-pt=13", " pt=96", true}, // the SIDs keep 13
		{"no cn-pt", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The timeout outlasts the pauses (0.4 to 1.2 s), in which only
			// SIDs arrive.
			rg, addr, done := receiver(t, "rtp-src name=rx listen=127.0.0.1:0 timeout=1500ms"+tc.cnPT+tc.pt+" ! jitter ! decode name=dec ! null-sink")
			tx := build(t, fmt.Sprintf("wav-src path=%s realtime=true ! vad ! encode codec=PCMU dtx=true name=enc ! rtp-sink remote=%s%s", graphs.Quote(path), addr, tc.pt))
			if err := tx.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			sids := stat(tx, "enc", "sid_sent")
			if sids == 0 {
				t.Fatal("the sender sent no SID: no pause found in the talk")
			}
			cn, sid, badPT := stat(rg, "dec", "comfort_noise"), stat(rg, "dec", "sid"), stat(rg, "rx", "unexpected_pt")
			t.Logf("sent %v SIDs; received sid %v, comfort-noise frames %v, unexpected_pt %v", sids, sid, cn, badPT)
			if tc.wantCN {
				// The last SID may still sit in the jitter buffer when the
				// receiver's timeout ends the stream.
				if sid < sids-1 || cn == 0 || badPT != 0 {
					t.Fatalf("sid %v of %v sent, comfort_noise %v, unexpected_pt %v: want the SIDs decoded, comfort noise played, no unexpected_pt", sid, sids, cn, badPT)
				}
			} else if badPT != sids || cn != 0 {
				t.Fatalf("without cn-pt: unexpected_pt %v (want %v), comfort_noise %v (want 0)", badPT, sids, cn)
			}
		})
	}
}
