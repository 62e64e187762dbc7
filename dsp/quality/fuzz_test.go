package quality_test

import (
	"errors"
	"math"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/quality"
)

// FuzzRate feeds the E-model arbitrary values for the inputs a caller is
// most likely to get wrong or measure wildly (loss, burst ratio, delays,
// codec values, loudness). Rate must never panic, and must either return
// an ErrInput error or a finite rating with MOS in [1, 4.5].
func FuzzRate(f *testing.F) {
	f.Add(0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 4.3, 8.0, 2.0)
	f.Add(5.0, 2.0, 150.0, 150.0, 300.0, 11.0, 19.0, 8.0, 2.0)
	f.Add(100.0, 8.0, 500.0, 500.0, 1000.0, 95.0, 40.0, 18.0, 14.0)
	f.Add(-1.0, 0.5, -3.0, 1e308, math.NaN(), -1.0, 0.0, 1e300, -1e300)
	f.Fuzz(func(t *testing.T, ppl, burstR, ta, tt, tr, ie, bpl, slr, rlr float64) {
		p := quality.Defaults()
		p.Ppl, p.BurstR, p.Ta, p.T, p.Tr, p.Ie, p.Bpl, p.SLR, p.RLR = ppl, burstR, ta, tt, tr, ie, bpl, slr, rlr
		r, err := quality.Rate(p)
		if err != nil {
			if !errors.Is(err, quality.ErrInput) {
				t.Fatalf("error %v does not wrap ErrInput", err)
			}
			return
		}
		for _, v := range []float64{r.R, r.Ro, r.Is, r.Id, r.IeEff, r.MOS} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite rating %+v for %+v", r, p)
			}
		}
		if r.MOS < 1 || r.MOS > 4.5 {
			t.Fatalf("MOS %v for %+v", r.MOS, p)
		}
	})
}
