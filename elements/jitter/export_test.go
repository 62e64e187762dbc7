package jitter

import "time"

// SetClock makes e read both its clocks from c, so tests drive time.
func SetClock(e *Jitter, c func() time.Duration) { e.clock = c }
