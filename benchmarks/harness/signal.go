package harness

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
)

// SignalLength is the length of the speech-like loop every synthetic
// stream plays (each from its own offset).
const SignalLength = 10 * time.Second

// Speech returns d of a deterministic speech-like signal at rate Hz:
// voiced harmonics on a gliding pitch under a syllable envelope (about 4
// syllables a second), in talkspurts of 1.2–2.5 s separated by pauses of
// 0.4–1 s, over a noise floor near −60 dBov. It keeps a voice activity
// detector, a jitter buffer's talkspurt handling and a codec busy the way
// a conversation does, which a sine tone would not.
func Speech(rate int, d time.Duration) []int16 {
	n := int(int64(rate) * int64(d) / int64(time.Second))
	out := make([]int16, n)
	rng := rand.New(rand.NewPCG(20261123, 6))
	phase, t := 0.0, 0.0
	talk, left := true, 1.5
	for i := range out {
		dt := 1 / float64(rate)
		t += dt
		left -= dt
		if left <= 0 {
			talk = !talk
			if talk {
				left = 1.2 + 1.3*rng.Float64()
			} else {
				left = 0.4 + 0.6*rng.Float64()
			}
		}
		v := rng.NormFloat64() * 30 // about −60 dBov
		if talk {
			f0 := 110 + 50*math.Sin(2*math.Pi*0.6*t)
			phase += 2 * math.Pi * f0 * dt
			env := math.Max(0, math.Sin(2*math.Pi*4*t)) * 0.8
			v += env * (6000*math.Sin(phase) + 3000*math.Sin(2*phase+0.4) + 1500*math.Sin(3*phase+1.1) + 700*math.Sin(5*phase+2))
			v += env * rng.NormFloat64() * 300
		}
		out[i] = int16(max(min(v, 32767), -32768))
	}
	return out
}

// Loop is SignalLength of Speech encoded with one codec, one payload per
// frame: what a synthetic stream sends, frame after frame, round and round.
type Loop struct {
	Codec    codecs.Codec
	Payloads [][]byte
	// Samples is the RTP timestamp increment per frame (clock rate × ptime).
	Samples uint32
}

// NewLoop encodes the speech loop with the codec name from reg, in frames
// of ptime.
func NewLoop(reg *codecs.Registry, name string, ptime time.Duration) (*Loop, error) {
	f, ok := reg.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("synthetic source: unknown codec %q (have %v)", name, reg.Names())
	}
	enc, err := f.NewEncoder(nil)
	if err != nil {
		return nil, fmt.Errorf("synthetic source: %s encoder: %w", name, err)
	}
	if c, ok := enc.(interface{ Close() error }); ok {
		defer c.Close()
	}
	ch := max(f.Channels, 1)
	frame := int(int64(f.SampleRate)*int64(ptime)/int64(time.Second)) * ch
	if frame <= 0 {
		return nil, fmt.Errorf("synthetic source: ptime %v holds no samples at %d Hz", ptime, f.SampleRate)
	}
	mono := Speech(f.SampleRate, SignalLength)
	pcm := make([]int16, len(mono)*ch)
	for i, v := range mono {
		for c := range ch {
			pcm[i*ch+c] = v
		}
	}
	l := &Loop{Codec: f.Codec, Samples: uint32(int64(f.ClockRate) * int64(ptime) / int64(time.Second))}
	buf := make([]byte, enc.MaxEncodedLen(frame))
	for off := 0; off+frame <= len(pcm); off += frame {
		n, err := enc.Encode(buf, pcm[off:off+frame])
		if err != nil {
			return nil, fmt.Errorf("synthetic source: encode %s: %w", name, err)
		}
		if n == 0 {
			continue // nothing to send for this frame (DTX)
		}
		l.Payloads = append(l.Payloads, append([]byte(nil), buf[:n]...))
	}
	if len(l.Payloads) == 0 {
		return nil, fmt.Errorf("synthetic source: %s encoded the signal to nothing", name)
	}
	return l, nil
}

// Loops encodes the speech loop once per codec and keeps it: every stream
// of one codec plays the same payloads, each from its own offset.
type Loops struct {
	reg   *codecs.Registry
	ptime time.Duration
	m     map[string]*Loop
}

// NewLoops returns an empty set of loops for codecs from reg.
func NewLoops(reg *codecs.Registry, ptime time.Duration) *Loops {
	return &Loops{reg: reg, ptime: ptime, m: map[string]*Loop{}}
}

// Get returns the loop of the named codec, encoding it the first time.
func (l *Loops) Get(codec string) (*Loop, error) {
	if loop, ok := l.m[codec]; ok {
		return loop, nil
	}
	loop, err := NewLoop(l.reg, codec, l.ptime)
	if err != nil {
		return nil, err
	}
	l.m[codec] = loop
	return loop, nil
}

// streamStart is where stream i of a run starts: a sequence number,
// timestamp and loop offset of its own, so no two streams are alike.
func streamStart(i int, loop *Loop) (seq uint16, ts uint32, idx int) {
	return uint16(i * 7919), uint32(i) * 104729, (i * 37) % len(loop.Payloads)
}
