package quality

import (
	"errors"
	"fmt"
	"math"
)

// ErrInput is wrapped by every error about an unusable input (NaN or
// infinite values, loss outside 0..100 %, negative delays, a burst ratio
// under 1), so callers can test for it with errors.Is.
var ErrInput = errors.New("quality: bad input")

// Params are the inputs of the E-model, named and in the units of ITU-T
// G.107 Table 3 (loudness ratings and levels in dB, delays in ms, the
// packet-loss probability Ppl in percent). Defaults returns the
// Recommendation's default values.
type Params struct {
	SLR  float64 // send loudness rating, dB
	RLR  float64 // receive loudness rating, dB
	STMR float64 // sidetone masking rating, dB
	LSTR float64 // listener sidetone rating, dB
	Ds   float64 // D-value of the telephone, send side
	Dr   float64 // D-value of the telephone, receive side
	TELR float64 // talker echo loudness rating, dB
	WEPL float64 // weighted echo path loss, dB
	T    float64 // mean one-way delay of the echo path, ms
	Tr   float64 // round-trip delay in a 4-wire loop, ms
	Ta   float64 // absolute delay in echo-free connections (mouth to ear), ms
	Qdu  float64 // number of quantizing distortion units
	Ie   float64 // equipment impairment factor (codec)
	Bpl  float64 // packet-loss robustness factor (codec)
	Ppl  float64 // random packet-loss probability, %
	// BurstR is the burst ratio: the mean length of the observed loss
	// bursts over the mean length expected under random loss (1: random,
	// more: bursty).
	BurstR float64
	Nc     float64 // circuit noise referred to the 0 dBr point, dBm0p
	Nfor   float64 // noise floor at the receive side, dBmp
	Ps     float64 // room noise at the send side, dB(A)
	Pr     float64 // room noise at the receive side, dB(A)
	A      float64 // advantage factor (expectation; 0 for wired VoIP)
	MT     float64 // delay sensitivity: Ta at which Idd starts, ms
	ST     float64 // delay sensitivity: steepness of Idd
}

// Defaults returns the default values of G.107 Table 3. With them the
// model rates R = 93.2: a G.711 connection with no loss, no delay and
// standard handsets.
func Defaults() Params {
	return Params{
		SLR: 8, RLR: 2, STMR: 15, LSTR: 18, Ds: 3, Dr: 3, TELR: 65, WEPL: 110,
		T: 0, Tr: 0, Ta: 0, Qdu: 1, Ie: 0, Bpl: 4.3, Ppl: 0, BurstR: 1,
		Nc: -70, Nfor: -64, Ps: 35, Pr: 35, A: 0, MT: 100, ST: 1,
	}
}

// planningRanges are G.107 Table 3's permitted ranges for the terminal,
// noise and echo parameters, which describe equipment rather than
// measurements (Nfor, mT and sT have none there: ours keep the equations
// finite).
var planningRanges = [...]struct {
	name   string
	lo, hi float64
}{
	{"SLR", 0, 18}, {"RLR", -5, 14}, {"STMR", 10, 20}, {"LSTR", 13, 23}, {"Ds", -3, 3}, {"Dr", -3, 3},
	{"TELR", 5, 65}, {"WEPL", 5, 110}, {"Qdu", 1, 14}, {"Nc", -80, -40}, {"Nfor", -100, -40},
	{"Ps", 35, 85}, {"Pr", 35, 85}, {"A", 0, 20}, {"mT", 1, 1000}, {"sT", 0.1, 10},
}

// planningValues lists p's values in the order of planningRanges.
func (p *Params) planningValues() [len(planningRanges)]float64 {
	return [...]float64{p.SLR, p.RLR, p.STMR, p.LSTR, p.Ds, p.Dr, p.TELR, p.WEPL, p.Qdu, p.Nc, p.Nfor,
		p.Ps, p.Pr, p.A, p.MT, p.ST}
}

// Validate reports an error wrapping ErrInput for values the model cannot
// take: anything NaN or infinite; terminal, noise and echo parameters
// outside G.107 Table 3's permitted ranges (SLR 0..18, RLR −5..14, STMR
// 10..20, LSTR 13..23, Ds and Dr −3..3, TELR 5..65, WEPL 5..110, qdu
// 1..14, Nc −80..−40, Ps and Pr 35..85, A 0..20); Ppl outside 0..100,
// negative delays, Bpl not positive, Ie outside 0..95, BurstR under 1.
// The measured inputs (Ppl, BurstR, Ta, T, Tr) may exceed Table 3's
// planning ranges (Ppl 20 %, BurstR 8, Ta 500 ms): the model extrapolates
// there, as monitoring needs.
func (p Params) Validate() error {
	fields := [...]struct {
		name string
		v    float64
	}{
		{"SLR", p.SLR}, {"RLR", p.RLR}, {"STMR", p.STMR}, {"LSTR", p.LSTR}, {"Ds", p.Ds}, {"Dr", p.Dr},
		{"TELR", p.TELR}, {"WEPL", p.WEPL}, {"T", p.T}, {"Tr", p.Tr}, {"Ta", p.Ta}, {"Qdu", p.Qdu},
		{"Ie", p.Ie}, {"Bpl", p.Bpl}, {"Ppl", p.Ppl}, {"BurstR", p.BurstR}, {"Nc", p.Nc}, {"Nfor", p.Nfor},
		{"Ps", p.Ps}, {"Pr", p.Pr}, {"A", p.A}, {"MT", p.MT}, {"ST", p.ST},
	}
	for _, f := range fields {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%w: %s is %v", ErrInput, f.name, f.v)
		}
	}
	for i, v := range p.planningValues() {
		if r := planningRanges[i]; v < r.lo || v > r.hi {
			return fmt.Errorf("%w: %s %g outside G.107's range %g..%g", ErrInput, r.name, v, r.lo, r.hi)
		}
	}
	switch {
	case p.Ppl < 0 || p.Ppl > 100:
		return fmt.Errorf("%w: packet loss %g %% outside 0..100", ErrInput, p.Ppl)
	case p.BurstR < 1:
		return fmt.Errorf("%w: burst ratio %g under 1", ErrInput, p.BurstR)
	case p.T < 0 || p.Tr < 0 || p.Ta < 0:
		return fmt.Errorf("%w: negative delay (T %g, Tr %g, Ta %g ms)", ErrInput, p.T, p.Tr, p.Ta)
	case p.Bpl <= 0:
		return fmt.Errorf("%w: Bpl %g not positive", ErrInput, p.Bpl)
	case p.Ie < 0 || p.Ie > 95:
		return fmt.Errorf("%w: Ie %g outside 0..95", ErrInput, p.Ie)
	}
	return nil
}

// Rating is the E-model's result: the transmission rating R, its terms,
// and the estimated conversational MOS.
type Rating struct {
	R     float64 // transmission rating: Ro - Is - Id - IeEff + A
	Ro    float64 // basic signal-to-noise ratio
	Is    float64 // simultaneous impairments (loudness, sidetone, quantization)
	Id    float64 // delay impairments: Idte + Idle + Idd
	Idte  float64 // talker echo
	Idle  float64 // listener echo
	Idd   float64 // absolute delay
	IeEff float64 // effective equipment impairment (codec and packet loss)
	MOS   float64 // MOS-CQE from R (G.107 Annex B)
}

// Rate runs the E-model of G.107 (§7) on p. It does not allocate.
func Rate(p Params) (Rating, error) {
	if err := p.Validate(); err != nil {
		return Rating{}, err
	}
	var q Rating
	no := noise(p)
	q.Ro = 15 - 1.5*(p.SLR+no)
	ist := sidetone(p)
	q.Is = loudness(p, no) + ist + quantization(p, q.Ro)
	q.Idte = talkerEcho(p, no, ist)
	q.Idle = listenerEcho(p, q.Ro)
	q.Idd = AbsoluteDelay(p.Ta, p.MT, p.ST)
	q.Id = q.Idte + q.Idle + q.Idd
	q.IeEff = effectiveIe(p.Ie, p.Bpl, p.Ppl, p.BurstR)
	q.R = q.Ro - q.Is - q.Id - q.IeEff + p.A
	if math.IsNaN(q.R) || math.IsInf(q.R, 0) { // not reached with validated inputs (FuzzRate)
		return Rating{}, fmt.Errorf("%w: rating not finite for %+v", ErrInput, p)
	}
	q.MOS = MOS(q.R)
	return q, nil
}

// noise is the total noise power No (dBm0p, G.107 §7.2): circuit
// noise, room noise at both ends and the receive noise floor, summed.
func noise(p Params) float64 {
	olr := p.SLR + p.RLR
	nos := p.Ps - p.SLR - p.Ds - 100 + 0.004*sq(p.Ps-olr-p.Ds-14)
	pre := p.Pr + 10*math.Log10(1+math.Pow(10, (10-p.LSTR)/10))
	nor := p.RLR - 121 + pre + 0.008*sq(pre-35)
	nfo := p.Nfor + p.RLR
	return 10 * math.Log10(math.Pow(10, p.Nc/10)+math.Pow(10, nos/10)+math.Pow(10, nor/10)+math.Pow(10, nfo/10))
}

// loudness is Iolr (G.107 §7.3): too quiet a connection.
func loudness(p Params, no float64) float64 {
	x := (p.SLR + p.RLR + 0.2*(64+no-p.RLR)) / 8
	return 20 * (math.Pow(1+math.Pow(x, 8), 1.0/8) - x)
}

// stmro is the weighted sidetone plus echo rating STMRo (G.107 §7.3).
func stmro(p Params) float64 {
	return -10 * math.Log10(math.Pow(10, -p.STMR/10)+math.Exp(-p.T/4)*math.Pow(10, -p.TELR/10))
}

// sidetone is Ist (G.107 §7.3): non-optimum sidetone.
func sidetone(p Params) float64 {
	s := stmro(p)
	return 12*math.Pow(1+math.Pow((s-13)/6, 8), 1.0/8) -
		28*math.Pow(1+math.Pow((s+1)/19.4, 35), 1.0/35) -
		13*math.Pow(1+math.Pow((s-3)/33, 13), 1.0/13) + 29
}

// quantization is Iq (G.107 §7.3): quantizing distortion.
func quantization(p Params, ro float64) float64 {
	q := 37 - 15*math.Log10(p.Qdu)
	g := 1.07 + 0.258*q + 0.0602*q*q
	y := (ro-100)/15 + 46/8.4 - g/9
	z := 46.0/30 - g/40
	return 15 * math.Log10(1+math.Pow(10, y)+math.Pow(10, z))
}

// talkerEcho is Idte (G.107 §7.4), with the corrections for a low
// sidetone masking rating (STMR < 9 dB: TERVs) and a high one (STMR > 20
// dB: Idtes).
func talkerEcho(p Params, no, ist float64) float64 {
	roe := -1.5 * (no - p.RLR)
	terv := p.TELR - 40*math.Log10((1+p.T/10)/(1+p.T/150)) + 6*math.Exp(-0.3*p.T*p.T)
	if p.STMR < 9 {
		terv += ist / 2
	}
	re := 80 + 2.5*(terv-14)
	d := roe - re
	idte := (d/2 + math.Sqrt(d*d/4+100) - 1) * (1 - math.Exp(-p.T))
	if p.STMR > 20 {
		idte = math.Sqrt(idte*idte + ist*ist)
	}
	return idte
}

// listenerEcho is Idle (G.107 §7.4).
func listenerEcho(p Params, ro float64) float64 {
	rle := 10.5 * (p.WEPL + 7) * math.Pow(p.Tr+1, -0.25)
	d := ro - rle
	return d/2 + math.Sqrt(d*d/4+169)
}

// AbsoluteDelay is Idd (G.107 §7.4), the impairment of a
// mouth-to-ear delay of ta ms even with perfect echo control: 0 up to mT
// ms, then rising with log2(ta/mT). G.107's defaults are mT = 100, sT = 1.
func AbsoluteDelay(ta, mT, sT float64) float64 {
	if !(ta > mT) { // also NaN
		return 0
	}
	x := math.Log10(ta/mT) / math.Log10(2)
	e := 6 * sT
	return 25 * (math.Pow(1+math.Pow(x, e), 1/e) - 3*math.Pow(1+math.Pow(x/3, e), 1/e) + 2)
}

// EffectiveIe is Ie,eff (G.107 §7.5): the codec's impairment ie raised
// towards 95 by a packet loss of ppl percent, less for a codec robust to
// loss (high bpl) and more for bursty loss (burstR > 1):
//
//	Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)
func EffectiveIe(ie, bpl, ppl, burstR float64) (float64, error) {
	p := Defaults()
	p.Ie, p.Bpl, p.Ppl, p.BurstR = ie, bpl, ppl, burstR
	if err := p.Validate(); err != nil {
		return 0, err
	}
	return effectiveIe(ie, bpl, ppl, burstR), nil
}

func effectiveIe(ie, bpl, ppl, burstR float64) float64 {
	return ie + (95-ie)*ppl/(ppl/burstR+bpl)
}

// MOS maps a transmission rating to the estimated conversational mean
// opinion score MOS-CQE (G.107 Annex B): 1 below R = 0, 4.5 above
// R = 100, and between
//
//	MOS = 1 + 0.035 R + R (R − 60) (100 − R) · 7·10⁻⁶
//
// held at 1 where that cubic dips under it (0 < R < 6.5). NaN maps to 1.
func MOS(r float64) float64 {
	switch {
	case !(r > 0): // also NaN
		return 1
	case r >= 100:
		return 4.5
	}
	return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
}

func sq(x float64) float64 { return x * x }
