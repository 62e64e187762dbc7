package elements

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
	"github.com/voxgraph/voxgraph/pipeline"
)

// AEC cancels acoustic echo (dsp/aec): it removes from the microphone
// audio on port mic the echo of the far-end audio on port ref (what the
// loudspeaker played) and sends the near end on out, 10 ms later than it
// came in (the residual echo suppressor's latency; none with
// suppression=0).
//
// The two inputs arrive independently. Far-end samples wait in a ring of
// one second; each microphone block takes the next far-end block from it.
// A microphone frame that finds too few far-end samples waits for them
// until the next microphone frame, the far end's end of stream, or the
// microphone's; whatever is still missing then is silence. The canceller
// estimates the remaining delay between the two itself.
type AEC struct {
	Tail         time.Duration `prop:"tail" default:"250ms" doc:"echo path length the adaptive filter models after the bulk delay (10ms to 500ms)"`
	MaxDelay     time.Duration `prop:"max-delay" default:"500ms" doc:"largest bulk delay of the echo behind ref that is searched for (0: no search, keep delay)"`
	Delay        time.Duration `prop:"delay" default:"0s" doc:"bulk delay to start with"`
	Suppression  float64       `prop:"suppression" default:"40" doc:"most dB the residual echo suppressor takes off a frequency bin (0: no suppressor and no latency)"`
	ComfortNoise bool          `prop:"comfort-noise" default:"true" doc:"fill what the suppressor removed with noise like the near end's"`

	c          *aec.Canceller
	n          int     // samples per 10 ms block
	ring       []int16 // far-end samples waiting, circular
	rHead      int     // index of the oldest
	rLen       int     // samples held
	refBlock   []int16
	pending    *pipeline.Frame // a microphone frame waiting for its far end
	refEnded   bool
	frameTotal int // samples of the far end a missing microphone frame stands for

	erle, delay, bulk                  atomic.Uint64 // float64 bits
	doubleTalk, divergences, resets    atomic.Uint64
	refMissing, refDropped, delayMoves atomic.Uint64
}

// AEC port indices.
const (
	aecMic = 0
	aecRef = 1
)

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "aec",
		Summary: "acoustic echo canceller: removes the echo of ref from mic",
		Doc: "A partitioned-block frequency-domain adaptive filter (two-path MDF with the leak-based optimal step, robust to double talk) " +
			"behind an estimated bulk delay (binary-spectrum matching, up to max-delay), then residual echo suppression with comfort noise. " +
			"mic and ref must be mono PCM at the same rate, 8 or 16 kHz, in whole 10 ms blocks. Output lags mic by 10 ms with the suppressor. " +
			"Far-end samples are buffered up to one second; missing far end is silence. " +
			"Stats: erle_db (running, far end active without double talk), delay_ms (estimated echo delay behind ref, -1 until found), " +
			"bulk_delay_ms (how late ref reaches the adaptive filter: the estimate less a 20 ms margin), double_talk (blocks), " +
			"divergences and resets (filter restarts), delay_changes, ref_missing (blocks without far end), ref_dropped (far-end samples overflowing the buffer).",
		Inputs: []pipeline.PortInfo{
			{Name: "mic", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000}}, Doc: "microphone PCM mono, 8 or 16 kHz, ptime a multiple of 10 ms"},
			{Name: "ref", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000}}, Doc: "far end as the loudspeaker played it, same format as mic"},
		},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the microphone without the echo"}},
		New:     func() pipeline.Element { return &AEC{} },
	})
}

// Negotiate checks that mic and ref are the same mono PCM format in
// 10 ms blocks and the properties, and sets up the canceller.
func (e *AEC) Negotiate(n *pipeline.Negotiation) error {
	mic, ref := n.In[aecMic], n.In[aecRef]
	if mic.IsZero() || ref.IsZero() {
		return fmt.Errorf("aec needs both inputs linked: mic %s, ref %s (link the far end, what the loudspeaker plays, to ref)", portFormat(mic), portFormat(ref))
	}
	if mic.Channels != 1 || ref.Channels != 1 || mic.Rate != ref.Rate {
		return fmt.Errorf("aec needs mic and ref as mono PCM at one rate: mic is %s, ref is %s", mic, ref)
	}
	ptime := mic.PTime
	if ptime == 0 {
		ptime = n.PTime
	}
	if ptime%aec.BlockDuration != 0 {
		return fmt.Errorf("aec works on 10 ms blocks: ptime %s is not a multiple of 10ms, mic %s", ptime, mic)
	}
	switch {
	case e.Tail <= 0 || e.Tail > aec.MaxTail:
		return fmt.Errorf("tail %s must be in (0, %s]", e.Tail, aec.MaxTail)
	case e.MaxDelay < 0 || e.MaxDelay > aec.MaxMaxDelay:
		return fmt.Errorf("max-delay %s must be in [0, %s]", e.MaxDelay, aec.MaxMaxDelay)
	case e.Delay < 0 || e.Delay > aec.MaxMaxDelay:
		return fmt.Errorf("delay %s must be in [0, %s]", e.Delay, aec.MaxMaxDelay)
	case !(e.Suppression >= 0 && e.Suppression <= aec.MaxSuppression): // also NaN
		return fmt.Errorf("suppression %g dB must be in [0, %g]", e.Suppression, aec.MaxSuppression)
	}
	cfg := aec.Config{Rate: mic.Rate, Tail: e.Tail, MaxDelay: e.MaxDelay, Delay: e.Delay, Suppression: e.Suppression, NoComfortNoise: !e.ComfortNoise}
	if e.MaxDelay == 0 {
		cfg.MaxDelay = aec.NoDelayEstimation
	}
	if e.Suppression == 0 {
		cfg.Suppression = aec.NoSuppression
	}
	c, err := aec.New(cfg)
	if err != nil {
		return fmt.Errorf("mic %s: %w", mic, err)
	}
	e.c, e.n = c, c.BlockSize()
	e.ring = make([]int16, mic.Rate) // one second
	e.refBlock = make([]int16, e.n)
	e.rHead, e.rLen, e.pending, e.refEnded = 0, 0, nil, false
	e.frameTotal = int(int64(mic.Rate) * int64(ptime) / int64(time.Second))
	storeF(&e.erle, 0)
	storeF(&e.delay, -1)
	storeF(&e.bulk, float64(c.Stats().Delay)/float64(time.Millisecond))
	for _, a := range []*atomic.Uint64{&e.doubleTalk, &e.divergences, &e.resets, &e.refMissing, &e.refDropped, &e.delayMoves} {
		a.Store(0)
	}
	n.SetAllOut(mic)
	return nil
}

func portFormat(f pipeline.Format) string {
	if f.IsZero() {
		return "not linked"
	}
	return f.String()
}

// Process buffers far-end frames and cancels the echo in microphone
// frames.
func (e *AEC) Process(port int, f *pipeline.Frame, out *pipeline.Output) error {
	if port == aecRef {
		e.push(f.PCM)
		f.Release()
		if e.pending != nil && e.rLen >= len(e.pending.PCM) {
			e.flush(out)
		}
		return nil
	}
	if e.pending != nil {
		e.flush(out)
	}
	if len(f.PCM) == 0 { // missing: the far end of its time is skipped too
		e.pop(nil, e.frameTotal)
		out.Emit(0, f)
		return nil
	}
	if len(f.PCM)%e.n != 0 {
		out.Drop(f) // counted: not whole 10 ms blocks
		return nil
	}
	if e.rLen < len(f.PCM) && !e.refEnded {
		e.pending = f
		return nil
	}
	e.cancel(f, out)
	return nil
}

// EndOfStream processes a waiting microphone frame: at the far end's end
// with silence for what is missing, at the microphone's with what there
// is.
func (e *AEC) EndOfStream(port int, out *pipeline.Output) error {
	if port == aecRef {
		e.refEnded = true
	}
	if e.pending != nil {
		e.flush(out)
	}
	return nil
}

func (e *AEC) flush(out *pipeline.Output) {
	f := e.pending
	e.pending = nil
	e.cancel(f, out)
}

// cancel runs the canceller over f's blocks and emits it.
func (e *AEC) cancel(f *pipeline.Frame, out *pipeline.Output) {
	for pcm := f.PCM; len(pcm) >= e.n; pcm = pcm[e.n:] {
		if got := e.pop(e.refBlock, e.n); got < e.n {
			clear(e.refBlock[got:])
			e.refMissing.Add(1)
		}
		if err := e.c.Process(pcm[:e.n], e.refBlock, pcm[:e.n]); err != nil {
			out.Drop(f) // cannot happen: sizes are checked
			return
		}
	}
	st := e.c.Stats()
	storeF(&e.erle, st.ERLE)
	storeF(&e.bulk, float64(st.Delay)/float64(time.Millisecond))
	if st.DelayFound {
		storeF(&e.delay, float64(st.EchoDelay)/float64(time.Millisecond))
	}
	e.doubleTalk.Store(st.DoubleTalkBlocks)
	e.divergences.Store(st.Divergences)
	e.resets.Store(st.Resets)
	e.delayMoves.Store(st.DelayChanges)
	out.Emit(0, f)
}

// push appends far-end samples, dropping the oldest past one second.
func (e *AEC) push(pcm []int16) {
	if over := e.rLen + len(pcm) - len(e.ring); over > 0 {
		e.refDropped.Add(uint64(over))
		if len(pcm) >= len(e.ring) {
			pcm = pcm[len(pcm)-len(e.ring):]
			e.rHead, e.rLen = 0, 0
		} else {
			e.rHead = (e.rHead + over) % len(e.ring)
			e.rLen -= over
		}
	}
	tail := (e.rHead + e.rLen) % len(e.ring)
	k := copy(e.ring[tail:], pcm)
	copy(e.ring, pcm[k:])
	e.rLen += len(pcm)
}

// pop takes up to n far-end samples into dst (or discards them when dst
// is nil) and returns how many there were.
func (e *AEC) pop(dst []int16, n int) int {
	n = min(n, e.rLen)
	if dst != nil {
		k := copy(dst[:n], e.ring[e.rHead:])
		copy(dst[k:n], e.ring)
	}
	e.rHead = (e.rHead + n) % len(e.ring)
	e.rLen -= n
	return n
}

// Stats reports the running ERLE, the bulk delay, double talk, filter
// restarts and the far-end buffer's misses and overflows.
func (e *AEC) Stats() []pipeline.Stat {
	erle := loadF(&e.erle)
	if math.IsNaN(erle) {
		erle = 0
	}
	return []pipeline.Stat{
		{Name: "erle_db", Value: erle, Unit: "dB"},
		{Name: "delay_ms", Value: loadF(&e.delay), Unit: "ms"},
		{Name: "bulk_delay_ms", Value: loadF(&e.bulk), Unit: "ms"},
		{Name: "double_talk", Value: float64(e.doubleTalk.Load()), Unit: "blocks"},
		{Name: "divergences", Value: float64(e.divergences.Load())},
		{Name: "resets", Value: float64(e.resets.Load())},
		{Name: "delay_changes", Value: float64(e.delayMoves.Load())},
		{Name: "ref_missing", Value: float64(e.refMissing.Load()), Unit: "blocks"},
		{Name: "ref_dropped", Value: float64(e.refDropped.Load()), Unit: "samples"},
	}
}

func (e *AEC) String() string {
	return fmt.Sprintf("aec tail=%s max-delay=%s delay=%s suppression=%g comfort-noise=%v", e.Tail, e.MaxDelay, e.Delay, e.Suppression, e.ComfortNoise)
}
