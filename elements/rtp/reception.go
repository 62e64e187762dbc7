package rtp

import (
	"sync"
	"time"
)

// Reception tracks one received stream as RFC 3550 describes for receiver
// reports: extended highest sequence number and loss (appendix A.1/A.3),
// and interarrival jitter (A.8). The reader goroutine updates it per
// packet; the rtcp element reads a snapshot.
type Reception struct {
	mu          sync.Mutex
	clockRate   int
	ssrc        uint32
	started     bool
	baseSeq     uint32 // extended
	maxSeq      uint16
	cycles      uint32 // count of sequence wraps, shifted by 16
	received    uint32
	lastTransit int64
	jitter      float64 // in timestamp units, RFC 3550 A.8
	// for fraction lost between reports
	expectedPrior, receivedPrior uint32
}

// ReceptionReport is a snapshot of a received stream's statistics.
type ReceptionReport struct {
	SSRC           uint32
	HighestSeq     uint32 // extended highest sequence number received
	Expected       uint32
	Received       uint32
	CumulativeLost int32
	FractionLost   uint8  // since the previous report, in 1/256
	Jitter         uint32 // timestamp units
	JitterTime     time.Duration
}

func (r *Reception) reset(ssrc uint32, seq uint16) {
	r.ssrc = ssrc
	r.started = true
	r.baseSeq = uint32(seq)
	r.maxSeq = seq
	r.cycles = 0
	r.received = 0
	r.jitter = 0
	r.lastTransit = 0
	r.expectedPrior, r.receivedPrior = 0, 0
}

// update records a packet: its SSRC, sequence number, RTP timestamp and
// arrival time.
func (r *Reception) update(ssrc uint32, seq uint16, ts uint32, arrival time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || ssrc != r.ssrc {
		r.reset(ssrc, seq)
	} else {
		delta := seq - r.maxSeq
		switch {
		case delta == 0:
			// duplicate: counted as received, as A.3 does
		case delta < 0x8000: // in order, possibly with a gap
			if seq < r.maxSeq {
				r.cycles += 1 << 16
			}
			r.maxSeq = seq
		case delta > 0xffff-3000: // late or reordered: nothing to update
		default: // a jump of more than half the sequence space: restart
			r.reset(ssrc, seq)
		}
	}
	r.received++
	// Jitter: transit time difference in timestamp units (A.8).
	arrivalTS := int64(arrival) * int64(r.clockRate) / int64(time.Second)
	transit := arrivalTS - int64(ts)
	if r.received > 1 {
		d := transit - r.lastTransit
		if d < 0 {
			d = -d
		}
		r.jitter += (float64(d) - r.jitter) / 16
	}
	r.lastTransit = transit
}

// Report returns the statistics and starts a new fraction-lost interval.
func (r *Reception) Report() (ReceptionReport, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return ReceptionReport{}, false
	}
	ext := r.cycles + uint32(r.maxSeq)
	expected := ext - r.baseSeq + 1
	lost := int64(expected) - int64(r.received)
	lost = max(min(lost, 0x7fffff), -0x800000) // 24-bit signed field
	expInt := expected - r.expectedPrior
	recInt := r.received - r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	var fraction uint8
	if lostInt := int64(expInt) - int64(recInt); expInt > 0 && lostInt > 0 {
		fraction = uint8(lostInt << 8 / int64(expInt))
	}
	rep := ReceptionReport{SSRC: r.ssrc, HighestSeq: ext, Expected: expected, Received: r.received,
		CumulativeLost: int32(lost), FractionLost: fraction, Jitter: uint32(r.jitter)}
	if r.clockRate > 0 {
		rep.JitterTime = time.Duration(r.jitter * float64(time.Second) / float64(r.clockRate))
	}
	return rep, true
}
