package quality

import (
	"strings"
	"time"
)

// Codec is what the E-model needs to know of a codec: its equipment
// impairment factor Ie, its packet-loss robustness factor Bpl with and
// without packet-loss concealment, and the delay it adds beyond the packet
// time (look-ahead, filter delay).
type Codec struct {
	Name       string        // RTP encoding name, as in codecs/ ("PCMU", "G722", "opus", …)
	Ie         float64       // equipment impairment factor, narrowband R scale
	BplPLC     float64       // Bpl when the receiver conceals lost frames (PLC)
	BplSilence float64       // Bpl when lost frames are played as silence
	Lookahead  time.Duration // algorithmic delay beyond one packet time
	Source     string        // where the values come from
}

// Bpl returns the codec's packet-loss robustness factor with (plc) or
// without concealment.
func (c Codec) Bpl(plc bool) float64 {
	if plc {
		return c.BplPLC
	}
	return c.BplSilence
}

// G.113 Appendix I (Table I.3) gives Bpl for G.711 both ways: 25.1 with the
// PLC of G.711 Appendix I, 4.3 when lost packets are replaced by silence.
// For the other codecs it gives one value (with the codec's own
// concealment), or none; where none is published the G.711 value of the
// same concealment stands in, as noted per codec.
const (
	bplG711PLC     = 25.1
	bplG711Silence = 4.3
)

// codecTable holds the codecs this project has (codecs/, plugins/).
var codecTable = [...]Codec{
	{Name: "PCMU", Ie: 0, BplPLC: bplG711PLC, BplSilence: bplG711Silence,
		Source: "G.711 µ-law: ITU-T G.113 Appendix I, Ie = 0 (Table I.1), Bpl = 25.1 with PLC, 4.3 without (Table I.3)"},
	{Name: "PCMA", Ie: 0, BplPLC: bplG711PLC, BplSilence: bplG711Silence,
		Source: "G.711 A-law: ITU-T G.113 Appendix I, Ie = 0 (Table I.1), Bpl = 25.1 with PLC, 4.3 without (Table I.3)"},
	{Name: "L16", Ie: 0, BplPLC: bplG711PLC, BplSilence: bplG711Silence,
		Source: "linear PCM: not coded, so Ie = 0; no published Bpl, G.711's (G.113 Table I.3) stands in"},
	{Name: "G722", Ie: 0, BplPLC: bplG711PLC, BplSilence: bplG711Silence, Lookahead: 1437500 * time.Nanosecond,
		Source: "G.722 64 kbit/s: wideband; G.113 Appendix IV rates it Ie,wb = 13 on the wideband scale, better than narrowband " +
			"G.711 there, which the narrowband scale cannot show, so Ie = 0 here; no published narrowband Bpl, G.711's stands in; " +
			"delay: the transmit and receive QMF (24-tap linear-phase FIRs), 23 samples at 16 kHz"},
	{Name: "G729", Ie: 11, BplPLC: 19, BplSilence: bplG711Silence, Lookahead: 5 * time.Millisecond,
		Source: "G.729(A): ITU-T G.113 Appendix I, Ie = 11 (Table I.1), Bpl = 19 with its own concealment (G.729A+VAD, Table I.3); " +
			"no published value for silence substitution, G.711's stands in; delay: 5 ms look-ahead beyond the 10 ms frame (ITU-T G.729, 15 ms algorithmic delay)"},
	{Name: "opus", Ie: 0, BplPLC: bplG711PLC, BplSilence: bplG711Silence, Lookahead: 6500 * time.Microsecond,
		Source: "Opus: no ITU-T G.113 value. Our choice: Ie = 0 (at speech bit rates Opus is wideband or better, at least G.711's " +
			"quality, and the narrowband scale cannot credit more) and G.711's Bpl (25.1 with PLC, 4.3 without); " +
			"delay: RFC 6716 §2, 26.5 ms algorithmic delay with 20 ms frames, i.e. 6.5 ms beyond the frame"},
}

// LookupCodec returns the table entry for an RTP encoding name, matched
// case-insensitively ("pcmu", "OPUS", "G729"); "G729A" and "G.711"-style
// spellings are not recognized. It does not allocate.
func LookupCodec(name string) (Codec, bool) {
	for _, c := range codecTable {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Codec{}, false
}

// Codecs returns a copy of the codec table.
func Codecs() []Codec {
	out := make([]Codec, len(codecTable))
	copy(out, codecTable[:])
	return out
}
