package quality_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/quality"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %g", what, got, want, tol)
	}
}

// TestDefaults checks G.107's headline figure: its Table 3 defaults rate
// R = 93.2 (MOS 4.41), from Ro = 94.77 less Is = 1.41 and Idle = 0.15.
func TestDefaults(t *testing.T) {
	r, err := quality.Rate(quality.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "R", r.R, 93.2, 0.1)
	near(t, "MOS", r.MOS, 4.41, 0.005)
	near(t, "Ro", r.Ro, 94.77, 0.01)
	near(t, "Is", r.Is, 1.41, 0.01)
	near(t, "Idle", r.Idle, 0.15, 0.01)
	near(t, "Idte", r.Idte, 0, 1e-9) // T = 0: no talker echo
	near(t, "Idd", r.Idd, 0, 0)
	near(t, "Ie,eff", r.IeEff, 0, 0)
}

// TestAbsoluteDelay checks Idd (G.107 §7.4) against values worked by
// hand: X = log2(Ta/100); Ta = 150: X = 0.585, 25·(1.00656 − 3.00003 + 2);
// Ta = 300: X = 1.585, 25·(1.60075 − 3.01075 + 2); Ta = 400: X = 2,
// 25·(65^⅙ − 3·1.0878^⅙ + 2).
func TestAbsoluteDelay(t *testing.T) {
	for _, tc := range []struct {
		ta, want float64
	}{
		{0, 0}, {50, 0}, {100, 0}, {150, 0.164}, {200, 3.044}, {300, 14.761}, {400, 24.070}, {500, 30.636},
	} {
		near(t, "Idd("+time.Duration(tc.ta*float64(time.Millisecond)).String()+")", quality.AbsoluteDelay(tc.ta, 100, 1), tc.want, 0.002)
	}
	// A more delay-tolerant class (mT = 150) starts later.
	near(t, "Idd(150, mT=150)", quality.AbsoluteDelay(150, 150, 1), 0, 0)
	// R falls as Ta grows, with every other parameter at its default.
	prev := math.Inf(1)
	for ta := 0.0; ta <= 600; ta += 25 {
		p := quality.Defaults()
		p.Ta = ta
		r, err := quality.Rate(p)
		if err != nil {
			t.Fatal(err)
		}
		if r.R > prev {
			t.Errorf("R rises from %.2f to %.2f at Ta = %g ms", prev, r.R, ta)
		}
		prev = r.R
	}
}

// TestEffectiveIe checks Ie,eff (G.107 §7.5) for the G.113 codec
// values: G.711 with random loss of 1, 2 and 5 %, without PLC (Bpl 4.3)
// and with it (Bpl 25.1), bursty loss, and G.729 at no loss.
func TestEffectiveIe(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		ie, bpl, ppl, burstR float64
		want                 float64
	}{
		{"G.711 0%", 0, 4.3, 0, 1, 0},
		{"G.711 1% no PLC", 0, 4.3, 1, 1, 17.925},
		{"G.711 2% no PLC", 0, 4.3, 2, 1, 30.159},
		{"G.711 5% no PLC", 0, 4.3, 5, 1, 51.075},
		{"G.711 1% PLC", 0, 25.1, 1, 1, 3.640},
		{"G.711 2% PLC", 0, 25.1, 2, 1, 7.011},
		{"G.711 5% PLC", 0, 25.1, 5, 1, 15.781},
		{"G.711 5% PLC BurstR 2", 0, 25.1, 5, 2, 17.210},
		{"G.711 100% PLC", 0, 25.1, 100, 1, 75.939},
		{"G.729 0%", 11, 19, 0, 1, 11},
		{"G.729 2%", 11, 19, 2, 1, 19},
	} {
		got, err := quality.EffectiveIe(tc.ie, tc.bpl, tc.ppl, tc.burstR)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		near(t, tc.name, got, tc.want, 0.001)
	}
}

// TestCodecRatings rates each codec of the table with G.107's defaults
// otherwise: G.729 at no loss is R = 93.2 − 11 = 82.2.
func TestCodecRatings(t *testing.T) {
	for _, tc := range []struct {
		codec string
		ppl   float64
		plc   bool
		want  float64
	}{
		{"PCMU", 0, true, 93.2}, {"pcma", 0, false, 93.2}, {"G729", 0, true, 82.2}, {"G722", 0, true, 93.2},
		{"OPUS", 0, true, 93.2}, {"L16", 0, true, 93.2},
		{"PCMU", 2, false, 93.206 - 30.159}, {"PCMU", 2, true, 93.206 - 7.011},
		{"G729", 2, true, 93.206 - 19},
	} {
		c, ok := quality.LookupCodec(tc.codec)
		if !ok {
			t.Fatalf("codec %s not in the table", tc.codec)
		}
		p := quality.Defaults()
		p.Ie, p.Bpl, p.Ppl = c.Ie, c.Bpl(tc.plc), tc.ppl
		r, err := quality.Rate(p)
		if err != nil {
			t.Fatal(err)
		}
		near(t, tc.codec, r.R, tc.want, 0.1)
	}
	if _, ok := quality.LookupCodec("GSM"); ok {
		t.Error("GSM found in a table that does not have it")
	}
	for _, c := range quality.Codecs() {
		if c.Source == "" || c.BplPLC <= 0 || c.BplSilence <= 0 || c.BplPLC < c.BplSilence {
			t.Errorf("%s: incomplete or inconsistent entry %+v", c.Name, c)
		}
	}
}

// TestMOS checks the R → MOS mapping of G.107 Annex B at its boundaries
// and worked points, and that it never decreases.
func TestMOS(t *testing.T) {
	for _, tc := range []struct{ r, want float64 }{
		{math.Inf(-1), 1}, {-10, 1}, {0, 1}, {3, 1}, {6.5, 1}, {6.6, 1.0001},
		{50, 2.575}, {60, 3.1}, {70, 3.597}, {80, 4.024}, {90, 4.339}, {93.2, 4.4092},
		{100, 4.5}, {120, 4.5}, {math.Inf(1), 4.5}, {math.NaN(), 1},
	} {
		near(t, "MOS", quality.MOS(tc.r), tc.want, 0.0005)
	}
	prev := 0.0
	for r := -5.0; r <= 105; r += 0.01 {
		m := quality.MOS(r)
		if m < prev-1e-12 || m < 1 || m > 4.5 {
			t.Fatalf("MOS(%.2f) = %v after %v", r, m, prev)
		}
		prev = m
	}
}

// TestBadInput: values the equations cannot take are errors wrapping
// ErrInput, never a panic or a NaN rating.
func TestBadInput(t *testing.T) {
	nan := math.NaN()
	for name, mod := range map[string]func(*quality.Params){
		"negative loss":   func(p *quality.Params) { p.Ppl = -1 },
		"NaN loss":        func(p *quality.Params) { p.Ppl = nan },
		"loss over 100":   func(p *quality.Params) { p.Ppl = 100.5 },
		"infinite loss":   func(p *quality.Params) { p.Ppl = math.Inf(1) },
		"burst ratio < 1": func(p *quality.Params) { p.BurstR = 0.5 },
		"NaN burst ratio": func(p *quality.Params) { p.BurstR = nan },
		"negative Ta":     func(p *quality.Params) { p.Ta = -1 },
		"negative T":      func(p *quality.Params) { p.T = -1 },
		"NaN Tr":          func(p *quality.Params) { p.Tr = nan },
		"qdu 0":           func(p *quality.Params) { p.Qdu = 0 },
		"Bpl 0":           func(p *quality.Params) { p.Bpl = 0 },
		"Ie 96":           func(p *quality.Params) { p.Ie = 96 },
		"NaN SLR":         func(p *quality.Params) { p.SLR = nan },
		"mT 0":            func(p *quality.Params) { p.MT = 0 },
		"SLR 960":         func(p *quality.Params) { p.SLR = 960 },
		"TELR 0":          func(p *quality.Params) { p.TELR = 0 },
	} {
		p := quality.Defaults()
		mod(&p)
		if _, err := quality.Rate(p); !errors.Is(err, quality.ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	if _, err := quality.EffectiveIe(0, 4.3, -2, 1); !errors.Is(err, quality.ErrInput) {
		t.Errorf("EffectiveIe with negative loss: %v", err)
	}
	for name, c := range map[string]quality.Call{
		"negative RTT":    {RTT: -time.Millisecond},
		"negative jitter": {Jitter: -time.Millisecond},
		"negative ptime":  {PTime: -20 * time.Millisecond},
		"NaN loss":        {LossPercent: nan},
		"loss 150":        {LossPercent: 150},
		"burst ratio 0.2": {BurstR: 0.2},
	} {
		if _, err := c.Rate(); !errors.Is(err, quality.ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	// Planning ranges are not limits: 30 % loss and 800 ms rate, poorly.
	p := quality.Defaults()
	p.Ppl, p.Ta = 30, 800
	if r, err := quality.Rate(p); err != nil || r.R > 30 || r.MOS > 1.6 {
		t.Errorf("30 %% loss, 800 ms: %+v, %v", r, err)
	}
}

// TestCall checks the mouth-to-ear delay built from measured figures and
// the ratings that follow.
func TestCall(t *testing.T) {
	pcmu, _ := quality.LookupCodec("PCMU")
	g729, _ := quality.LookupCodec("G729")
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		c    quality.Call
		ta   time.Duration
	}{
		{"RTT/2 + 3·jitter + 2·ptime", quality.Call{Codec: pcmu, PTime: 20 * ms, RTT: 100 * ms, Jitter: 10 * ms}, 50*ms + 50*ms + 20*ms},
		{"measured buffer", quality.Call{Codec: pcmu, PTime: 20 * ms, RTT: 100 * ms, Jitter: 10 * ms, Buffer: 60 * ms}, 130 * ms},
		{"one-way known", quality.Call{Codec: pcmu, PTime: 20 * ms, RTT: 100 * ms, Network: 10 * ms, Buffer: 40 * ms}, 70 * ms},
		{"G.729 look-ahead", quality.Call{Codec: g729, PTime: 20 * ms, Buffer: 40 * ms}, 65 * ms},
	} {
		if got := tc.c.MouthToEar(); got != tc.ta {
			t.Errorf("%s: Ta %v, want %v", tc.name, got, tc.ta)
		}
		p, err := tc.c.Params()
		if err != nil {
			t.Fatal(err)
		}
		ta := float64(tc.ta) / float64(ms)
		if p.Ta != ta || p.T != ta || p.Tr != 2*ta || p.Ie != tc.c.Codec.Ie || p.BurstR != 1 {
			t.Errorf("%s: params %+v", tc.name, p)
		}
	}
	// Ordering that must hold: PLC beats silence; bursty loss at the same
	// rate, more delay and more loss rate worse.
	rate := func(c quality.Call) float64 {
		r, err := c.Rate()
		if err != nil {
			t.Fatal(err)
		}
		return r.R
	}
	base := quality.Call{Codec: pcmu, PTime: 20 * ms, RTT: 40 * ms, Buffer: 40 * ms, LossPercent: 3}
	plc, bursty, slow, lossy := base, base, base, base
	plc.PLC = true
	bursty.BurstR = 3
	slow.RTT = 400 * ms
	lossy.LossPercent = 6
	if !(rate(plc) > rate(base) && rate(bursty) < rate(base) && rate(slow) < rate(base) && rate(lossy) < rate(base)) {
		t.Errorf("R: base %.1f plc %.1f bursty %.1f slow %.1f lossy %.1f", rate(base), rate(plc), rate(bursty), rate(slow), rate(lossy))
	}
	// A clean LAN call with G.711 stays close to the 93.2 ceiling: the
	// 4-wire echo path at TELR 65 dB costs a little even at Ta = 82 ms.
	lan := quality.Call{Codec: pcmu, PTime: 20 * ms, RTT: 4 * ms, Buffer: 60 * ms}
	near(t, "LAN R", rate(lan), 91.1, 0.3)
}

// TestLossEstimator checks Ppl and BurstR on loss patterns whose values
// are known: Bernoulli loss (BurstR 1), a Gilbert two-state chain with
// p = 0.01, q = 0.25 (Ppl = p/(p+q) = 3.85 %, BurstR = 1/(p+q) = 3.85),
// and fixed patterns.
func TestLossEstimator(t *testing.T) {
	const n = 400000
	rng := rand.New(rand.NewPCG(7, 7))
	var random, gilbert quality.LossEstimator
	lost := false
	for range n {
		random.Observe(rng.Float64() < 0.05)
		if lost {
			lost = rng.Float64() >= 0.25
		} else {
			lost = rng.Float64() < 0.01
		}
		gilbert.Observe(lost)
	}
	near(t, "random Ppl", random.LossPercent(), 5, 0.15)
	near(t, "random BurstR", random.BurstRatio(), 1, 0.03)
	near(t, "Gilbert Ppl", gilbert.LossPercent(), 100*0.01/0.26, 0.3)
	near(t, "Gilbert BurstR", gilbert.BurstRatio(), 1/0.26, 0.2)

	for _, tc := range []struct {
		name    string
		pattern string // r received, l lost
		ppl, br float64
	}{
		{"no loss", "rrrrrrrrrr", 0, 1},
		{"all lost", "llll", 100, 1},
		{"every tenth", "rrrrrrrrrlrrrrrrrrrlrrrrrrrrrl", 10, 1}, // more even than random: held at 1
		{"one burst of 5 in 100", "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrlllll", 5, 5 * 0.95},
		{"bursts of 2", "rrlrrrrrrrrrrrrrrrrrrrllrrrrrrrrrrrrrrrrrrll", 100 * 5.0 / 44, 5.0 / 3 * 39 / 44},
	} {
		var e, runs quality.LossEstimator
		for i := 0; i < len(tc.pattern); {
			j := i
			for j < len(tc.pattern) && tc.pattern[j] == tc.pattern[i] {
				e.Observe(tc.pattern[j] == 'l')
				j++
			}
			if tc.pattern[i] == 'l' {
				runs.Lost(uint64(j - i - 1)) // a run split in two stays one burst
				runs.Lost(1)
			} else {
				runs.Received(uint64(j - i))
			}
			i = j
		}
		near(t, tc.name+" Ppl", e.LossPercent(), tc.ppl, 1e-9)
		near(t, tc.name+" BurstR", e.BurstRatio(), tc.br, 1e-9)
		if e != runs {
			t.Errorf("%s: per packet %+v, by runs %+v", tc.name, e, runs)
		}
	}
	e := gilbert
	e.Reset()
	if r, l, b := e.Counts(); r+l+b != 0 || e.BurstRatio() != 1 || e.LossPercent() != 0 {
		t.Errorf("after Reset: %d %d %d", r, l, b)
	}
}
