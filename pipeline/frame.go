package pipeline

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Flags mark special frames.
type Flags uint8

const (
	// FlagMissing marks a frame that never arrived: the jitter buffer emits it
	// and the decoder conceals it (PLC or silence). It carries no media.
	FlagMissing Flags = 1 << iota
	// FlagConcealed marks PCM produced by concealment rather than decoding.
	FlagConcealed
	// FlagTalkspurt marks the first frame of a talkspurt (RTP marker bit).
	FlagTalkspurt
	// FlagSilence marks a frame that a VAD judged to be non-speech.
	FlagSilence
)

// Frame is one unit of media on a link: either encoded (RTP header and
// payload) or decoded PCM. Frames come from a Pool and go back to it with
// Release; steady state allocates nothing.
//
// Ownership: a frame passed to Element.Process belongs to the element. It
// must either emit it (passing ownership on) or release it, and must not
// touch it afterwards.
type Frame struct {
	Format  Format
	PCM     []int16    // interleaved samples (KindPCM)
	Payload []byte     // codec payload (KindEncoded)
	RTP     rtp.Header // RTP header fields (KindEncoded)
	Time    time.Duration
	Arrival time.Duration // when a network frame arrived, on the Now clock; 0 if not from the network
	Flags   Flags

	pool *Pool
}

// Samples is the number of samples per channel in the frame.
func (f *Frame) Samples() int {
	ch := f.Format.Channels
	if ch <= 0 {
		ch = 1
	}
	return len(f.PCM) / ch
}

// SetPCMLen sizes f.PCM to n samples, reusing its storage; it allocates only
// when the frame has never held that many samples.
func (f *Frame) SetPCMLen(n int) []int16 {
	if cap(f.PCM) < n {
		f.PCM = make([]int16, n, max(n, 960))
	}
	f.PCM = f.PCM[:n]
	return f.PCM
}

// SetPayloadLen sizes f.Payload to n bytes, reusing its storage.
func (f *Frame) SetPayloadLen(n int) []byte {
	if cap(f.Payload) < n {
		f.Payload = make([]byte, n, max(n, 1500))
	}
	f.Payload = f.Payload[:n]
	return f.Payload
}

// CopyFrom makes f a copy of src (media, header, time and flags) reusing f's storage.
func (f *Frame) CopyFrom(src *Frame) {
	f.Format = src.Format
	f.Time = src.Time
	f.Arrival = src.Arrival
	f.Flags = src.Flags
	f.RTP = src.RTP
	f.RTP.CSRC = nil
	f.RTP.Extensions = nil
	copy(f.SetPCMLen(len(src.PCM)), src.PCM)
	copy(f.SetPayloadLen(len(src.Payload)), src.Payload)
}

// Release returns the frame to its pool. Releasing a frame that did not come
// from a pool is a no-op.
func (f *Frame) Release() {
	if f == nil || f.pool == nil {
		return
	}
	f.pool.put(f)
}

// Pool recycles frames. It is safe for concurrent use.
type Pool struct {
	p sync.Pool
}

// NewPool returns an empty frame pool.
func NewPool() *Pool {
	return &Pool{}
}

// Get returns a cleared frame whose buffers keep their capacity.
func (p *Pool) Get() *Frame {
	if f, ok := p.p.Get().(*Frame); ok {
		return f
	}
	return &Frame{pool: p}
}

func (p *Pool) put(f *Frame) {
	f.PCM = f.PCM[:0]
	f.Payload = f.Payload[:0]
	f.Flags = 0
	f.Time = 0
	f.Arrival = 0
	f.Format = Format{}
	f.RTP = rtp.Header{}
	p.p.Put(f)
}

// processStart anchors Now; it is set once at init and never changes.
var processStart = time.Now()

// Now is a monotonic clock (time since the process started) shared by all
// graphs: socket readers stamp Frame.Arrival with it and jitter buffers
// compare against it. Reading it costs one monotonic clock read.
func Now() time.Duration { return time.Since(processStart) }
