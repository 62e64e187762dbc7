package quality

// LossEstimator follows a packet stream's losses as a two-state Markov
// model (G.107 §7.5: state "found", state "lost", p the probability of
// going from found to lost, q from lost to found) and gives the packet
// loss Ppl and the burst ratio
//
//	BurstR = 1/(p + q)
//
// With the maximum-likelihood estimates p = bursts/received and
// q = bursts/lost (each loss burst is one transition into the lost state
// and one out of it), this is the mean burst length over the mean burst
// length random loss of the same rate would give:
//
//	BurstR = (lost/bursts) · received/(received + lost)
//
// Feed it one packet at a time (Observe) or in runs (Received, Lost).
// The zero value is ready to use; its methods do not allocate. It is not
// safe for concurrent use.
type LossEstimator struct {
	received, lost, bursts uint64
	inLoss                 bool
}

// Observe records one packet, lost or received, in stream order.
func (e *LossEstimator) Observe(lost bool) {
	if lost {
		e.Lost(1)
	} else {
		e.Received(1)
	}
}

// Received records a run of n packets received in sequence.
func (e *LossEstimator) Received(n uint64) {
	if n == 0 {
		return
	}
	e.received += n
	e.inLoss = false
}

// Lost records a run of n packets lost in sequence; a run that follows
// another lost run extends its burst.
func (e *LossEstimator) Lost(n uint64) {
	if n == 0 {
		return
	}
	if !e.inLoss {
		e.bursts++
		e.inLoss = true
	}
	e.lost += n
}

// Counts returns the packets received and lost and the number of loss
// bursts so far.
func (e *LossEstimator) Counts() (received, lost, bursts uint64) {
	return e.received, e.lost, e.bursts
}

// LossPercent is Ppl: the percentage of packets lost so far.
func (e *LossEstimator) LossPercent() float64 { return LossPercent(e.lost, e.received+e.lost) }

// BurstRatio is BurstR so far (1 when nothing is lost yet).
func (e *LossEstimator) BurstRatio() float64 { return BurstRatio(e.received, e.lost, e.bursts) }

// Reset forgets everything observed.
func (e *LossEstimator) Reset() { *e = LossEstimator{} }

// BurstRatio computes BurstR from counts (as LossEstimator.Counts returns
// them): 1 when there is no loss or nothing received, never under 1 —
// G.107's range starts at 1 (random loss); loss spread more evenly than
// random (every tenth packet) counts as random.
func BurstRatio(received, lost, bursts uint64) float64 {
	if lost == 0 || received == 0 || bursts == 0 {
		return 1
	}
	r, l := float64(received), float64(lost)
	return max(1, l/float64(bursts)*r/(r+l))
}
