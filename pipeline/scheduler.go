package pipeline

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Scheduler ticks many graphs every period with a fixed pool of workers (one
// per CPU by default): no goroutine per element or per graph, and no channel
// hop per frame. Each tick the workers share out the graphs and Step each
// once; graphs that finish are removed.
type Scheduler struct {
	period  time.Duration
	workers int

	mu     sync.Mutex
	graphs []*Graph
	dirty  bool

	list      []*Graph // snapshot ticked this round
	next      atomic.Int64
	remaining atomic.Int64
	wake      []chan struct{}
	tickDone  chan struct{}
	finishedM sync.Mutex
	finished  []*Graph

	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once

	stats SchedulerStats
	reset atomic.Bool // clear stats at the next tick (ResetStats)
}

// SchedulerStats counts the scheduler's ticks and how late they ran.
type SchedulerStats struct {
	Ticks     atomic.Uint64 // ticks run
	Late      atomic.Uint64 // ticks whose work ended after the next tick was due
	Skipped   atomic.Uint64 // ticks dropped after falling more than 10 periods behind
	Lateness  Histogram     // how far each tick's start was behind its schedule
	TickWork  Histogram     // wall time of each tick's work across all workers
	GraphsNow atomic.Int64  // graphs currently scheduled
}

// SchedulerOption configures NewScheduler.
type SchedulerOption func(*Scheduler)

// WithWorkers sets the number of worker goroutines (default runtime.NumCPU()).
func WithWorkers(n int) SchedulerOption {
	return func(s *Scheduler) {
		if n > 0 {
			s.workers = n
		}
	}
}

// WithPeriod sets the tick period (default DefaultPTime).
func WithPeriod(d time.Duration) SchedulerOption {
	return func(s *Scheduler) {
		if d > 0 {
			s.period = d
		}
	}
}

// NewScheduler returns a stopped scheduler; call Start.
func NewScheduler(opts ...SchedulerOption) *Scheduler {
	s := &Scheduler{period: DefaultPTime, workers: runtime.NumCPU(), quit: make(chan struct{}), stopped: make(chan struct{}), tickDone: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() *SchedulerStats { return &s.stats }

// ResetStats clears the tick counters and histograms (not GraphsNow). The
// clock goroutine, the only writer, clears them before its next tick, so
// the reset takes effect within one period: a benchmark starts its
// measurement window this way after the warm-up.
func (s *Scheduler) ResetStats() { s.reset.Store(true) }

// Period is the tick period.
func (s *Scheduler) Period() time.Duration { return s.period }

// Add schedules a started graph from the next tick on.
func (s *Scheduler) Add(g *Graph) {
	s.mu.Lock()
	s.graphs = append(s.graphs, g)
	s.dirty = true
	s.mu.Unlock()
	s.stats.GraphsNow.Add(1)
}

// Remove unschedules g; it is not ticked after Remove returns... unless a tick
// already in progress picked it up, which finishes first.
func (s *Scheduler) Remove(g *Graph) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.graphs {
		if x == g {
			s.graphs = append(s.graphs[:i], s.graphs[i+1:]...)
			s.dirty = true
			s.stats.GraphsNow.Add(-1)
			return
		}
	}
}

// Start launches the clock and the workers.
func (s *Scheduler) Start() {
	s.wake = make([]chan struct{}, s.workers)
	for i := range s.wake {
		s.wake[i] = make(chan struct{}, 1)
		go s.worker(s.wake[i])
	}
	go s.clock()
}

// Close stops ticking and waits for the current tick to end. Graphs are not
// stopped: their owners do that.
func (s *Scheduler) Close() {
	s.once.Do(func() { close(s.quit) })
	<-s.stopped
}

func (s *Scheduler) clock() {
	defer func() {
		for _, w := range s.wake {
			close(w)
		}
		close(s.stopped)
	}()
	start := time.Now()
	var n int64
	timer := time.NewTimer(0)
	<-timer.C
	for {
		due := start.Add(time.Duration(n) * s.period)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.quit:
				return
			}
		} else {
			select {
			case <-s.quit:
				return
			default:
			}
		}
		if s.reset.Swap(false) {
			s.stats.Ticks.Store(0)
			s.stats.Late.Store(0)
			s.stats.Skipped.Store(0)
			s.stats.Lateness.Reset()
			s.stats.TickWork.Reset()
		}
		began := time.Now()
		late := began.Sub(due)
		if late > 10*s.period {
			// Far behind (the machine stalled): drop the backlog instead of bursting.
			skip := int64(late / s.period)
			s.stats.Skipped.Add(uint64(skip))
			n += skip
			late -= time.Duration(skip) * s.period
		}
		s.stats.Lateness.Record(late)
		s.runTick()
		end := time.Now()
		s.stats.TickWork.Record(end.Sub(began))
		s.stats.Ticks.Add(1)
		n++
		if end.After(start.Add(time.Duration(n) * s.period)) {
			s.stats.Late.Add(1)
		}
	}
}

func (s *Scheduler) runTick() {
	s.mu.Lock()
	if s.dirty {
		s.list = append(s.list[:0], s.graphs...)
		s.dirty = false
	}
	s.mu.Unlock()
	if len(s.list) == 0 {
		return
	}
	s.next.Store(0)
	s.remaining.Store(int64(len(s.wake)))
	for _, w := range s.wake {
		w <- struct{}{}
	}
	<-s.tickDone
	s.finishedM.Lock()
	fin := s.finished
	s.finished = s.finished[:0]
	s.finishedM.Unlock()
	for _, g := range fin {
		s.Remove(g)
	}
}

func (s *Scheduler) worker(wake chan struct{}) {
	for range wake {
		list := s.list
		for {
			i := int(s.next.Add(1) - 1)
			if i >= len(list) {
				break
			}
			g := list[i]
			if done, _ := g.Step(); done {
				s.finishedM.Lock()
				s.finished = append(s.finished, g)
				s.finishedM.Unlock()
			}
		}
		if s.remaining.Add(-1) == 0 {
			s.tickDone <- struct{}{}
		}
	}
}
