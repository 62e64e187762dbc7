package udpimpair

import (
	"encoding/binary"
	"math"
	"net"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver records the datagrams arriving on a loopback socket.
type receiver struct {
	conn *net.UDPConn
	mu   sync.Mutex
	seqs []uint16
	at   []time.Time
	done chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(1 << 20)
	r := &receiver{conn: c, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			now := time.Now()
			if n < 4 {
				continue
			}
			r.mu.Lock()
			r.seqs = append(r.seqs, binary.BigEndian.Uint16(buf[2:4]))
			r.at = append(r.at, now)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-r.done })
	return r
}

func (r *receiver) addr() string { return r.conn.LocalAddr().String() }

func (r *receiver) snapshot() ([]uint16, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint16(nil), r.seqs...), append([]time.Time(nil), r.at...)
}

// send sends n RTP-like packets (sequence number i in bytes 2-3) to the
// proxy, gap apart, or in chunks of 50 that wait for the proxy to read
// them when gap is 0, so the kernel never drops on a full socket buffer.
// It returns when each packet was sent.
func send(t *testing.T, p *Proxy, n int, gap time.Duration) []time.Time {
	t.Helper()
	c, err := net.DialUDP("udp", nil, p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := p.Counters().Received
	at := make([]time.Time, n)
	pkt := make([]byte, 20)
	pkt[0] = 0x80
	for i := range n {
		binary.BigEndian.PutUint16(pkt[2:4], uint16(i))
		binary.BigEndian.PutUint32(pkt[12:16], uint32(i))
		at[i] = time.Now()
		if _, err := c.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if gap > 0 {
			time.Sleep(gap)
		} else if i%50 == 49 || i == n-1 {
			waitFor(t, "proxy to read", func() bool { return p.Counters().Received >= start+uint64(i+1) })
		}
	}
	waitFor(t, "proxy to read", func() bool { return p.Counters().Received == start+uint64(n) })
	return at
}

// settle waits until the proxy has sent everything it will send and the
// receiver has read it.
func settle(t *testing.T, p *Proxy, r *receiver) {
	t.Helper()
	waitFor(t, "proxy to send", func() bool {
		c := p.Counters()
		return c.Sent+c.SendErrors == c.Received-c.Dropped+c.Duplicated
	})
	want := int(p.Counters().Sent)
	waitFor(t, "receiver", func() bool { s, _ := r.snapshot(); return len(s) >= want })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func start(t *testing.T, r *receiver, cfg Config) *Proxy {
	t.Helper()
	p, err := New("127.0.0.1:0", r.addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestLoss sends 2000 packets through each loss rate: the rate drawn is
// within 4.5 standard deviations of the configured one, and the receiver
// gets exactly the packets the log says were forwarded.
func TestLoss(t *testing.T) {
	const n = 2000
	for _, loss := range []float64{0, 0.05, 0.2, 0.5} {
		t.Run("", func(t *testing.T) {
			r := newReceiver(t)
			p := start(t, r, Config{Seed: 7, Loss: loss})
			send(t, p, n, 0)
			settle(t, p, r)
			c := p.Counters()
			rate := float64(c.Dropped) / n
			if sd := math.Sqrt(loss * (1 - loss) / n); math.Abs(rate-loss) > 4.5*sd {
				t.Errorf("loss %g: dropped %d of %d (%.3f)", loss, c.Dropped, n, rate)
			}
			got, _ := r.snapshot()
			if len(got) != n-int(c.Dropped) {
				t.Fatalf("receiver got %d, want %d", len(got), n-int(c.Dropped))
			}
			log := p.Log()
			for i, seq := range got {
				if ev := log[seq]; ev.Action != Forwarded || ev.Seq() != seq || ev.Index != int(seq) || ev.Len != 20 {
					t.Fatalf("received #%d seq %d but the log says %v", i, seq, ev)
				}
				if i > 0 && seq <= got[i-1] {
					t.Fatalf("order broken without reorder or jitter: %d after %d", seq, got[i-1])
				}
			}
		})
	}
}

// TestSeedDeterminism: equal seeds give equal logs, another seed another.
func TestSeedDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Loss: 0.1, Duplicate: 0.1, Reorder: 0.1, Delay: time.Millisecond, Jitter: 3 * time.Millisecond, Distribution: Normal, MaxHold: 20 * time.Millisecond}
	run := func(cfg Config) []Event {
		r := newReceiver(t)
		p := start(t, r, cfg)
		send(t, p, 500, 0)
		settle(t, p, r)
		return p.Log()
	}
	a, b := run(cfg), run(cfg)
	if len(a) != 500 || !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different logs (%d and %d events)", len(a), len(b))
	}
	cfg.Seed = 43
	if c := run(cfg); reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same log")
	}
	// Normal jitter: never below Delay, mean about 0.8·Jitter.
	var sum time.Duration
	var forwarded int
	for _, ev := range a {
		if ev.Action&Forwarded == 0 {
			continue
		}
		if ev.Delay < cfg.Delay {
			t.Fatalf("%v: delay below %s", ev, cfg.Delay)
		}
		sum += ev.Delay - cfg.Delay
		forwarded++
	}
	mean := float64(sum) / float64(forwarded) / float64(cfg.Jitter)
	if want := math.Sqrt(2 / math.Pi); math.Abs(mean-want) > 0.1 {
		t.Errorf("mean jitter %.3f·Jitter, want %.3f", mean, want)
	}
}

// TestDuplicateAndReorder: the receiver sees every duplicate the log
// records, and every held-back packet after a later one.
func TestDuplicateAndReorder(t *testing.T) {
	r := newReceiver(t)
	p := start(t, r, Config{Seed: 3, Duplicate: 0.1, Reorder: 0.1})
	const n = 500
	send(t, p, n, 0)
	settle(t, p, r)
	c := p.Counters()
	if c.Duplicated == 0 || c.Reordered == 0 {
		t.Fatalf("counters %+v", c)
	}
	got, _ := r.snapshot()
	seen := map[uint16]int{}
	var dups, late int
	var highest int = -1
	for _, seq := range got {
		seen[seq]++
		if seen[seq] > 1 {
			dups++
			continue
		}
		if int(seq) < highest {
			late++
		}
		highest = max(highest, int(seq))
	}
	if len(seen) != n || dups != int(c.Duplicated) || len(got) != n+int(c.Duplicated) {
		t.Fatalf("receiver: %d distinct, %d duplicates, %d datagrams; counters %+v", len(seen), dups, len(got), c)
	}
	// A held packet arrives after a later one unless every later packet was held too.
	log := p.Log()
	want := 0
	for i, ev := range log {
		if ev.Action&Reordered == 0 {
			continue
		}
		for _, later := range log[i+1:] {
			if later.Action&Reordered == 0 {
				want++
				break
			}
		}
	}
	if late != want || want == 0 {
		t.Fatalf("%d packets arrived after a later one, want %d (%d held)", late, want, c.Reordered)
	}
}

// TestDelay: no packet arrives before Delay; with jitter, KeepOrder keeps
// the order and without it jitter reorders.
func TestDelay(t *testing.T) {
	tests := []struct {
		name          string
		cfg           Config
		n             int
		gap           time.Duration
		inOrder       bool
		wantReordered bool
	}{
		{"fixed delay", Config{Delay: 30 * time.Millisecond}, 20, 2 * time.Millisecond, true, false},
		{"jitter keeps order", Config{Seed: 1, Delay: 10 * time.Millisecond, Jitter: 20 * time.Millisecond, KeepOrder: true}, 40, time.Millisecond, true, false},
		{"jitter reorders", Config{Seed: 1, Delay: 10 * time.Millisecond, Jitter: 20 * time.Millisecond}, 40, time.Millisecond, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			p := start(t, r, tt.cfg)
			sent := send(t, p, tt.n, tt.gap)
			settle(t, p, r)
			seqs, at := r.snapshot()
			if len(seqs) != tt.n {
				t.Fatalf("received %d of %d", len(seqs), tt.n)
			}
			reordered := false
			log := p.Log()
			for i, seq := range seqs {
				d := at[i].Sub(sent[seq])
				if d < tt.cfg.Delay {
					t.Fatalf("packet %d took %s, less than the delay %s", seq, d, tt.cfg.Delay)
				}
				if d < log[seq].Delay-time.Millisecond { // the log's schedule is measured from the proxy's read
					t.Fatalf("packet %d took %s, scheduled %s", seq, d, log[seq].Delay)
				}
				if d > tt.cfg.Delay+tt.cfg.Jitter+time.Second {
					t.Fatalf("packet %d took %s", seq, d)
				}
				if i > 0 && seq < seqs[i-1] {
					reordered = true
				}
			}
			if tt.inOrder && reordered || tt.wantReordered && !reordered {
				t.Fatalf("reordered = %v, order %v", reordered, seqs)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		listen, forward string
		cfg             Config
		want            string
	}{
		{"0.0.0.0:0", "127.0.0.1:9", Config{}, `listen address "0.0.0.0:0" is not loopback`},
		{":0", "127.0.0.1:9", Config{}, `listen address ":0" is not loopback`},
		{"192.0.2.1:5000", "127.0.0.1:9", Config{}, "not loopback"},
		{"127.0.0.1:0", "8.8.8.8:53", Config{}, `forward address "8.8.8.8:53" is not loopback`},
		{"127.0.0.1:0", "example.com:53", Config{}, "not loopback"},
		{"127.0.0.1:0", "127.0.0.1", Config{}, "missing port"},
		{"127.0.0.1:0", "127.0.0.1:http", Config{}, "not a number"},
		{"127.0.0.1:0", "127.0.0.1:9", Config{Loss: 1.5}, "Loss 1.5 is not a probability"},
		{"127.0.0.1:0", "127.0.0.1:9", Config{Reorder: math.NaN()}, "Reorder NaN is not a probability"},
		{"127.0.0.1:0", "127.0.0.1:9", Config{Delay: -time.Millisecond}, "negative Delay"},
	}
	for _, tt := range tests {
		p, err := New(tt.listen, tt.forward, tt.cfg)
		if err == nil {
			p.Close()
			t.Errorf("New(%q, %q, %+v) succeeded", tt.listen, tt.forward, tt.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q): %v, want %q", tt.listen, tt.forward, err, tt.want)
		}
	}
	for _, ok := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		p, err := New(ok, "127.0.0.1:9", Config{})
		if err != nil {
			if strings.Contains(ok, "::1") && strings.Contains(err.Error(), "cannot assign") {
				continue // no IPv6 loopback on this machine
			}
			t.Errorf("New(%q): %v", ok, err)
			continue
		}
		p.Close()
	}
}

// TestClose: Close discards what is pending, stops both goroutines and can
// be called twice.
func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	r := newReceiver(t)
	p, err := New("127.0.0.1:0", r.addr(), Config{Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	send(t, p, 10, 0)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c := p.Counters(); c.Discarded != 10 || c.Sent != 0 {
		t.Fatalf("counters %+v", c)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before+1 }) // +1: the receiver
	if s := p.String(); !strings.Contains(s, "received 10 sent 0") {
		t.Errorf("String() = %q", s)
	}
}
