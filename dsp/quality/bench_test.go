package quality_test

import (
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/quality"
)

var sink float64

// BenchmarkRate is one full E-model evaluation (what a Stats call costs).
func BenchmarkRate(b *testing.B) {
	p := quality.Defaults()
	p.Ie, p.Bpl, p.Ppl, p.BurstR, p.Ta, p.T, p.Tr = 11, 19, 2, 1.5, 180, 180, 360
	b.ReportAllocs()
	for b.Loop() {
		r, err := quality.Rate(p)
		if err != nil {
			b.Fatal(err)
		}
		sink += r.R
	}
}

// BenchmarkCallRate adds the codec lookup and the Call → Params step.
func BenchmarkCallRate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, _ := quality.LookupCodec("opus")
		r, err := quality.Call{Codec: c, PTime: 20 * time.Millisecond, RTT: 90 * time.Millisecond,
			Jitter: 8 * time.Millisecond, LossPercent: 1.5, BurstR: 1.2}.Rate()
		if err != nil {
			b.Fatal(err)
		}
		sink += r.MOS
	}
}

// BenchmarkLossObserve is the per-packet update of the loss estimator.
func BenchmarkLossObserve(b *testing.B) {
	var e quality.LossEstimator
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e.Observe(i&63 == 0)
		i++
	}
	sink += e.BurstRatio()
}
