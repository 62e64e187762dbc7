package pipeline

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what a Frame carries.
type Kind uint8

const (
	// KindNone marks an unset format (an unlinked port).
	KindNone Kind = iota
	// KindPCM is decoded linear audio: interleaved int16 samples in Frame.PCM.
	KindPCM
	// KindEncoded is codec payload in Frame.Payload with an RTP header in Frame.RTP.
	KindEncoded
)

func (k Kind) String() string {
	switch k {
	case KindPCM:
		return "PCM"
	case KindEncoded:
		return "encoded"
	default:
		return "none"
	}
}

// Format ("caps") describes the media on a link. It is fixed when the graph
// is built: every link's format is checked against the receiving port.
type Format struct {
	Kind        Kind
	Codec       string        // encoding name for KindEncoded ("PCMU"); "L16" for PCM
	Rate        int           // sample rate (PCM) or RTP clock rate (encoded), Hz
	Channels    int           // interleaved channels
	PTime       time.Duration // frame duration
	PayloadType uint8         // RTP payload type for KindEncoded
}

// PCM returns the format of mono or multichannel linear audio.
func PCM(rate, channels int, ptime time.Duration) Format {
	return Format{Kind: KindPCM, Codec: "L16", Rate: rate, Channels: channels, PTime: ptime}
}

// Samples is the number of samples per channel in one frame of this format.
func (f Format) Samples() int {
	return int(int64(f.Rate) * int64(f.PTime) / int64(time.Second))
}

// IsZero reports whether the format is unset.
func (f Format) IsZero() bool { return f.Kind == KindNone }

// String renders the format the way errors and `voxgraph inspect` show it,
// e.g. "PCM 8000Hz mono 20ms" or "PCMU/8000 pt=0 20ms".
func (f Format) String() string {
	switch f.Kind {
	case KindPCM:
		return fmt.Sprintf("PCM %dHz %s %s", f.Rate, channelsName(f.Channels), f.PTime)
	case KindEncoded:
		return fmt.Sprintf("%s/%d pt=%d %s", f.Codec, f.Rate, f.PayloadType, f.PTime)
	default:
		return "none"
	}
}

func channelsName(c int) string {
	switch c {
	case 1:
		return "mono"
	case 2:
		return "stereo"
	default:
		return fmt.Sprintf("%dch", c)
	}
}

// Caps says which formats a port accepts. A zero field means "any".
type Caps struct {
	Kind     Kind     // KindNone: any kind
	Codecs   []string // accepted encoding names (KindEncoded), case-insensitive
	Rates    []int    // accepted rates
	Channels int      // required channel count
}

// AnyCaps accepts every format.
var AnyCaps = Caps{}

// PCMCaps accepts linear audio at any rate.
var PCMCaps = Caps{Kind: KindPCM}

// EncodedCaps accepts any encoded stream.
var EncodedCaps = Caps{Kind: KindEncoded}

// Accepts returns nil when f satisfies the caps, or an error saying what differs.
func (c Caps) Accepts(f Format) error {
	if c.Kind != KindNone && f.Kind != c.Kind {
		return fmt.Errorf("wants %s, gets %s", c, f)
	}
	if len(c.Codecs) > 0 {
		ok := false
		for _, n := range c.Codecs {
			if strings.EqualFold(n, f.Codec) {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("wants %s, gets %s", c, f)
		}
	}
	if len(c.Rates) > 0 {
		ok := false
		for _, r := range c.Rates {
			if r == f.Rate {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("wants %s, gets %s", c, f)
		}
	}
	if c.Channels != 0 && c.Channels != f.Channels {
		return fmt.Errorf("wants %s, gets %s", c, f)
	}
	return nil
}

// String renders caps for errors and `voxgraph inspect`.
func (c Caps) String() string {
	var parts []string
	switch c.Kind {
	case KindPCM:
		parts = append(parts, "PCM audio")
	case KindEncoded:
		parts = append(parts, "encoded audio")
	default:
		parts = append(parts, "any media")
	}
	if len(c.Codecs) > 0 {
		parts = append(parts, strings.Join(c.Codecs, "|"))
	}
	if len(c.Rates) > 0 {
		r := make([]string, len(c.Rates))
		for i, v := range c.Rates {
			r[i] = fmt.Sprintf("%dHz", v)
		}
		parts = append(parts, strings.Join(r, "|"))
	}
	if c.Channels != 0 {
		parts = append(parts, channelsName(c.Channels))
	}
	return strings.Join(parts, " ")
}
