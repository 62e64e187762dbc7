package pipeline

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histBuckets covers 0 ns to 2^63 ns with 8 sub-buckets per power of two
// (relative error under 12.5%).
const histBuckets = 16 + 60*8

// Histogram is a lock-free log-linear histogram of durations. One goroutine
// records (the graph's worker, under the graph lock); any goroutine may read.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64
	max    atomic.Uint64
}

func bucketOf(v uint64) int {
	if v < 16 {
		return int(v)
	}
	e := bits.Len64(v) - 1 // >= 4
	sub := (v >> (e - 3)) & 7
	return 16 + (e-4)*8 + int(sub)
}

// bucketUpper is the largest value that falls in bucket i.
func bucketUpper(i int) uint64 {
	if i < 16 {
		return uint64(i)
	}
	e := (i-16)/8 + 4
	sub := uint64((i - 16) % 8)
	lo := (uint64(8) | sub) << (e - 3)
	return lo + (uint64(1) << (e - 3)) - 1
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	if v > h.max.Load() {
		h.max.Store(v)
	}
}

// Merge adds o's recorded durations to h, as if h had recorded them: the
// benchmark harness sums the histograms of many graph instances. o may be
// recording meanwhile; h must not be (like Reset).
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Sum is the total of recorded durations.
func (h *Histogram) Sum() time.Duration { return time.Duration(h.sum.Load()) }

// Max is the largest recorded duration.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean is the average recorded duration.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Quantile returns an upper bound of the q-quantile (0 < q <= 1), accurate to
// the bucket width (12.5%), and never above Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	var counts [histBuckets]uint64
	var total uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = min(max(rank, 1), total)
	var acc uint64
	for i, c := range counts {
		acc += c
		if acc >= rank {
			return min(time.Duration(bucketUpper(i)), h.Max())
		}
	}
	return h.Max()
}

// Reset clears the histogram (not safe against a concurrent Record).
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.n.Store(0)
	h.sum.Store(0)
	h.max.Store(0)
}

// ElementStats are the runtime's counters for one element instance.
type ElementStats struct {
	In      atomic.Uint64 // frames received
	Out     atomic.Uint64 // frames emitted
	Dropped atomic.Uint64 // frames dropped (counted by the element via Output.Drop)
	// Latency is the duration of each Process call, and of each Tick call
	// that emitted a frame or belongs to a source (element without inputs).
	Latency Histogram
	// Ticks is the duration of the other Tick calls (a decoder with nothing
	// to reframe): kept apart so that cheap ticks with nothing to do do not
	// hide the per-frame cost.
	Ticks Histogram
}

// ElementSnapshot is a point-in-time copy of one element's statistics.
type ElementSnapshot struct {
	Name      string
	Type      string
	In        uint64
	Out       uint64
	Dropped   uint64
	Calls     uint64        // calls recorded in ElementStats.Latency
	IdleTicks uint64        // Tick calls that emitted nothing (ElementStats.Ticks)
	Total     time.Duration // time spent in all Process and Tick calls
	Mean      time.Duration // of the calls Latency records
	// P50 … Max are quantiles of ElementStats.Latency: per frame
	// processed or emitted (per Tick for a source).
	P50     time.Duration
	P90     time.Duration
	P99     time.Duration
	P999    time.Duration
	Max     time.Duration
	Latency time.Duration // delay the element declares it adds (jitter buffers)
	Extra   []Stat        // element-specific measurements (StatsReporter)
}

func snapshot(n *node) ElementSnapshot {
	s := n.stats
	h := &s.Latency
	es := ElementSnapshot{
		Name: n.name, Type: n.info.Name,
		In: s.In.Load(), Out: s.Out.Load(), Dropped: s.Dropped.Load(),
		Calls: h.Count(), IdleTicks: s.Ticks.Count(), Total: h.Sum() + s.Ticks.Sum(), Mean: h.Mean(),
		Latency: time.Duration(n.latency.Load()),
		P50:     h.Quantile(0.5), P90: h.Quantile(0.9), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max(),
	}
	if r, ok := n.el.(StatsReporter); ok {
		es.Extra = r.Stats()
	}
	return es
}
