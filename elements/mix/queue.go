package mix

// queue is one input's jitter-tolerant FIFO of samples: a fixed ring of
// `frames` tick-sized frames that absorbs bursty arrival. It stores samples
// rather than frame pointers so that frames of any length (a 30 ms packet
// into a 20 ms mix, a short last frame) queue and play out seamlessly; the
// ring is allocated once, when the input joins.
type queue struct {
	buf   []int16 // capacity: frames · frame samples
	frame int     // samples per tick (all channels)
	head  int     // index of the oldest sample
	n     int     // queued samples
}

func newQueue(frames, frame int) *queue {
	return &queue{buf: make([]int16, frames*frame), frame: frame}
}

// push appends pcm. When the ring is full it first drops the oldest audio,
// one frame at a time, and returns how many frames' worth it dropped.
func (q *queue) push(pcm []int16) (dropped int) {
	if len(pcm) > len(q.buf) { // larger than the whole ring: keep its newest part
		dropped += (len(pcm) - len(q.buf) + q.frame - 1) / q.frame
		pcm = pcm[len(pcm)-len(q.buf):]
	}
	for len(q.buf)-q.n < len(pcm) {
		d := min(q.frame, q.n)
		q.head = (q.head + d) % len(q.buf)
		q.n -= d
		dropped++
	}
	tail := (q.head + q.n) % len(q.buf)
	c := copy(q.buf[tail:], pcm)
	copy(q.buf, pcm[c:])
	q.n += len(pcm)
	return dropped
}

// pushSilence appends one frame of silence (for a frame flagged missing
// that carries no samples), dropping the oldest audio like push.
func (q *queue) pushSilence() (dropped int) {
	for len(q.buf)-q.n < q.frame {
		d := min(q.frame, q.n)
		q.head = (q.head + d) % len(q.buf)
		q.n -= d
		dropped++
	}
	tail := (q.head + q.n) % len(q.buf)
	c := min(q.frame, len(q.buf)-tail)
	clear(q.buf[tail : tail+c])
	clear(q.buf[:q.frame-c])
	q.n += q.frame
	return dropped
}

// pop fills dst (one frame) with the oldest samples. It reports false,
// leaving the queue untouched, when less than a full frame is queued.
func (q *queue) pop(dst []int16) bool {
	if q.n < len(dst) {
		return false
	}
	c := copy(dst, q.buf[q.head:min(q.head+len(dst), len(q.buf))])
	copy(dst[c:], q.buf)
	q.head = (q.head + len(dst)) % len(q.buf)
	q.n -= len(dst)
	return true
}

// flush fills dst with whatever is queued, padded with silence, and empties
// the queue; it reports whether anything was queued. Used once an input
// has ended, so that its last partial frame is still heard.
func (q *queue) flush(dst []int16) bool {
	if q.n == 0 {
		return false
	}
	k := min(q.n, len(dst))
	c := copy(dst[:k], q.buf[q.head:min(q.head+k, len(q.buf))])
	copy(dst[c:k], q.buf)
	clear(dst[k:])
	q.head = (q.head + k) % len(q.buf)
	q.n -= k
	return true
}

// frames is the number of whole frames queued.
func (q *queue) frames() int { return q.n / q.frame }
