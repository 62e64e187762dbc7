package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
)

// The sender's control protocol, one line each way, so that the sender can
// run in a process of its own whose CPU time is not the harness's:
//
//	sender:  drain 127.0.0.1:PORT          (once, when it is ready)
//	harness: add CODEC ADDR [ADDR ...]     (start streams; no answer)
//	harness: stats                         (answer: stats {JSON SenderStats})
//	harness: pause | resume                (stop or restart sending; no answer)
//	harness: quit, or end of input         (answer: stats {JSON}; the sender exits)

// ServeSender runs a Sender controlled over r and w (a child's standard
// input and output): see the protocol above. Codecs come from reg.
func ServeSender(r io.Reader, w io.Writer, reg *codecs.Registry, ptime time.Duration) error {
	src, err := newLocalSource(reg, ptime)
	if err != nil {
		return err
	}
	s := src.s
	defer s.Close()
	if _, err := fmt.Fprintf(w, "drain %s\n", s.Drain()); err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	writeStats := func(st SenderStats) error {
		b, _ := json.Marshal(st)
		_, err := fmt.Fprintf(w, "stats %s\n", b)
		return err
	}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "add":
			if len(f) < 2 {
				return errors.New("sender: add wants a codec and addresses")
			}
			dsts := make([]netip.AddrPort, 0, len(f)-2)
			for _, a := range f[2:] {
				ap, err := netip.ParseAddrPort(a)
				if err != nil || !ap.Addr().IsLoopback() {
					return fmt.Errorf("sender: add %q: want a loopback host:port", a)
				}
				dsts = append(dsts, ap)
			}
			if err := src.Add(f[1], dsts); err != nil {
				return err
			}
		case "stats":
			if err := writeStats(s.Stats()); err != nil {
				return err
			}
		case "pause", "resume":
			s.Pause(f[0] == "pause")
		case "quit":
			return writeStats(s.Close())
		default:
			return fmt.Errorf("sender: unknown command %q", f[0])
		}
	}
	return writeStats(s.Close())
}

// source is where a benchmark's streams come from: a Sender in this
// process or in a child process.
type source interface {
	Drain() netip.AddrPort
	Add(codec string, dsts []netip.AddrPort) error
	Stats() (SenderStats, error)
	Pause(on bool) error
	Close() (SenderStats, error)
}

// localSource is a Sender in the harness's own process (its CPU time
// counts as the harness's).
type localSource struct {
	s     *Sender
	loops *Loops
}

func newLocalSource(reg *codecs.Registry, ptime time.Duration) (*localSource, error) {
	s, err := NewSender(netip.MustParseAddr("127.0.0.1"), 0, ptime)
	if err != nil {
		return nil, err
	}
	return &localSource{s: s, loops: NewLoops(reg, ptime)}, nil
}

func (l *localSource) Drain() netip.AddrPort { return l.s.Drain() }

func (l *localSource) Add(codec string, dsts []netip.AddrPort) error {
	loop, err := l.loops.Get(codec)
	if err != nil {
		return err
	}
	l.s.Add(loop, dsts...)
	return nil
}

func (l *localSource) Stats() (SenderStats, error) { return l.s.Stats(), nil }
func (l *localSource) Pause(on bool) error         { l.s.Pause(on); return nil }
func (l *localSource) Close() (SenderStats, error) { return l.s.Close(), nil }

// childSource is a sender in a child process (voxgraph bench-sender),
// spoken to over its standard input and output.
type childSource struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	drain netip.AddrPort
	mu    sync.Mutex
	done  bool
	last  SenderStats
}

func newChildSource(argv []string) (*childSource, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sender %q: %w", argv[0], err)
	}
	c := &childSource{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	line, err := c.line()
	if err == nil {
		a, ok := strings.CutPrefix(line, "drain ")
		if !ok {
			err = fmt.Errorf("sender said %q, want drain ADDR", line)
		} else if c.drain, err = netip.ParseAddrPort(a); err != nil {
			err = fmt.Errorf("sender's drain %q: %w", a, err)
		}
	}
	if err != nil {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	return c, nil
}

func (c *childSource) line() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", fmt.Errorf("sender: %w", err)
		}
		return "", errors.New("sender exited")
	}
	return c.out.Text(), nil
}

func (c *childSource) Drain() netip.AddrPort { return c.drain }

func (c *childSource) Add(codec string, dsts []netip.AddrPort) error {
	var b strings.Builder
	b.WriteString("add ")
	b.WriteString(codec)
	for _, d := range dsts {
		b.WriteByte(' ')
		b.WriteString(d.String())
	}
	b.WriteByte('\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.in, b.String())
	return err
}

func (c *childSource) stats(cmd string) (SenderStats, error) {
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		return SenderStats{}, fmt.Errorf("sender: %w", err)
	}
	line, err := c.line()
	if err != nil {
		return SenderStats{}, err
	}
	js, ok := strings.CutPrefix(line, "stats ")
	var st SenderStats
	if !ok {
		return st, fmt.Errorf("sender said %q, want stats", line)
	}
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return st, fmt.Errorf("sender stats: %w", err)
	}
	return st, nil
}

func (c *childSource) Stats() (SenderStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats("stats")
}

func (c *childSource) Pause(on bool) error {
	cmd := "resume\n"
	if on {
		cmd = "pause\n"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.in, cmd)
	return err
}

func (c *childSource) Close() (SenderStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return c.last, nil
	}
	c.done = true
	st, err := c.stats("quit")
	c.last = st
	c.in.Close()
	if werr := c.cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("sender: %w", werr)
	}
	return st, err
}
