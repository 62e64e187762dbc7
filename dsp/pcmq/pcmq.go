// Package pcmq is a FIFO of PCM samples that turns frames of any length
// into frames of one length: the mixer's per-input queue, and decode's
// reframing of packets longer or shorter than the graph's period.
package pcmq

// Queue is a FIFO of samples: a fixed ring of `frames` frames of `frame`
// samples that absorbs bursty arrival. It stores samples
// rather than frame pointers so that frames of any length (a 30 ms packet
// into a 20 ms mix, a short last frame) queue and play out seamlessly; the
// ring is allocated once, when the input joins.
type Queue struct {
	buf   []int16 // capacity: frames · frame samples
	frame int     // samples per tick (all channels)
	head  int     // index of the oldest sample
	n     int     // queued samples
}

// New returns a queue of frames frames of frame samples (all channels).
func New(frames, frame int) *Queue {
	return &Queue{buf: make([]int16, frames*frame), frame: frame}
}

// Push appends pcm. When the ring is full it first drops the oldest audio,
// one frame at a time, and returns how many frames' worth it dropped.
func (q *Queue) Push(pcm []int16) (dropped int) {
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

// PushSilence appends one frame of silence (for a frame flagged missing
// that carries no samples), dropping the oldest audio like push.
func (q *Queue) PushSilence() (dropped int) {
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

// Pop fills dst (one frame) with the oldest samples. It reports false,
// leaving the queue untouched, when less than a full frame is queued.
func (q *Queue) Pop(dst []int16) bool {
	if q.n < len(dst) {
		return false
	}
	c := copy(dst, q.buf[q.head:min(q.head+len(dst), len(q.buf))])
	copy(dst[c:], q.buf)
	q.head = (q.head + len(dst)) % len(q.buf)
	q.n -= len(dst)
	return true
}

// Flush fills dst with up to len(dst) of the oldest samples, the rest of
// it with silence, and removes them; it reports whether anything was
// queued. For an input that has ended, so that its last partial frame is
// still heard, and for a last frame that is as short as what is left.
func (q *Queue) Flush(dst []int16) bool {
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

// Frames is the number of whole frames queued.
func (q *Queue) Frames() int { return q.n / q.frame }

// Len is the number of samples queued.
func (q *Queue) Len() int { return q.n }
