// Package plugins runs codecs in plugin processes (hashicorp/go-plugin over
// gRPC, protocol in plugins/proto) and registers them in a codec registry
// beside the in-process ones, so a graph's encode and decode use them by
// name. A crash or hang of a plugin never takes a call down: a failed call
// is concealed (a decoder returns silence of the last frame's length, an
// encoder's frame is dropped and counted), the process is killed and
// started again with backoff, and the sessions are reopened on it.
//
// Security: plugins load only from the configured directories (an
// executable named voxgraph-codec-*, a symlink must not lead out of its
// directory) or as explicitly configured commands; an optional sha256 pin
// refuses a binary that changed; a plugin starts with an empty environment
// (nothing of the host's, its secrets included, is inherited).
package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/voxgraph/voxgraph/codecs"
	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// FilePrefix is the name prefix of plugin executables in plugin directories.
const FilePrefix = "voxgraph-codec-"

// Config says where plugins come from and how they are watched.
type Config struct {
	// Dirs are searched for executables named voxgraph-codec-*.
	Dirs []string
	// Pins maps a plugin's file name (or command name) to the sha256 (hex)
	// its executable must have; a plugin whose binary differs is refused.
	Pins map[string]string
	// Commands are plugins run as a command line, e.g. the voxgraph binary
	// itself with `plugin serve` (a pure-Go plugin with no extra build).
	Commands []Command
	// Timeout is how long one call may take before the plugin counts as
	// hung and is restarted (default 250 ms).
	Timeout time.Duration
	// Logger receives the host's events (nil: slog.Default()).
	Logger *slog.Logger
	// Batch sends the frames of every session of a plugin in one Process
	// exchange per round (a graph tick) instead of one each; each call
	// then returns the result of the session's previous frame (one frame
	// of latency). The cost per frame falls as calls grow.
	Batch bool
}

// Command is a plugin started as a command line.
type Command struct {
	Name string   // what `voxgraph plugins` shows
	Path string   // the executable
	Args []string // its arguments
	Env  []string // its whole environment ("K=V"); nothing is inherited
}

// Host is a set of codec plugins.
type Host struct {
	cfg     Config
	log     *slog.Logger
	plugins []*Plugin
}

// Plugin is one plugin executable and, while it runs, its process.
type Plugin struct {
	Name   string         // file or command name
	Path   string         // the executable
	Codecs []codecs.Codec // what it serves (from its Info at Load)
	// Reported is the name the plugin gives itself (its Info at Load).
	Reported string

	host     *Host
	args     []string
	env      []string
	checksum []byte

	mu      sync.Mutex
	client  *plugin.Client
	rpc     pluginpb.CodecClient
	gen     uint64 // increments at each start: sessions of older ones are gone
	downAt  time.Time
	backoff time.Duration

	batcher batcher

	starts, failures, concealed, dropped atomic.Uint64
}

// Stats counts a plugin's life.
type Stats struct {
	Running            bool
	Starts, Failures   uint64 // process starts; calls that failed (crash, hang, garbage)
	Concealed, Dropped uint64 // decoded frames concealed, encoded frames dropped
}

// New finds the plugins cfg names; nothing is started yet (Load does).
func New(cfg Config) (*Host, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Host{cfg: cfg, log: cfg.Logger}
	for _, dir := range cfg.Dirs {
		found, err := h.scan(dir)
		if err != nil {
			return nil, err
		}
		h.plugins = append(h.plugins, found...)
	}
	for _, c := range cfg.Commands {
		if c.Name == "" || c.Path == "" {
			return nil, fmt.Errorf("plugin command %+v: name and path are required", c)
		}
		p := &Plugin{Name: c.Name, Path: c.Path, host: h, args: c.Args, env: c.Env}
		p.batcher.p = p
		if err := h.pin(p); err != nil {
			return nil, err
		}
		h.plugins = append(h.plugins, p)
	}
	return h, nil
}

// scan lists the plugin executables of dir.
func (h *Host) scan(dir string) ([]*Plugin, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin dir %s: %w", dir, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("plugin dir %s: %w", dir, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("plugin dir: %w", err)
	}
	var out []*Plugin
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), FilePrefix) {
			continue
		}
		path := filepath.Join(abs, e.Name())
		real, err := filepath.EvalSymlinks(path)
		if err != nil || filepath.Dir(real) != abs {
			h.log.Warn("plugin skipped: it leads out of its directory", "path", path)
			continue
		}
		st, err := os.Stat(real)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			continue
		}
		p := &Plugin{Name: e.Name(), Path: real, host: h}
		p.batcher.p = p
		if err := h.pin(p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// pin sets the plugin's checksum from the configuration and checks it now,
// so a changed binary is refused at start-up, not at the first call.
func (h *Host) pin(p *Plugin) error {
	want, ok := h.cfg.Pins[p.Name]
	if !ok {
		return nil
	}
	sum, err := hex.DecodeString(want)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("plugin %s: pin %q is not a sha256 in hex", p.Name, want)
	}
	got, err := fileSHA256(p.Path)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", p.Name, err)
	}
	if !equal(got, sum) {
		return fmt.Errorf("plugin %s: sha256 %x, the pin wants %x: refused", p.Name, got, sum)
	}
	p.checksum = sum
	return nil
}

func fileSHA256(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := sha256.Sum256(b)
	return s[:], nil
}

func equal(a, b []byte) bool { return string(a) == string(b) }

// Plugins lists the plugins found.
func (h *Host) Plugins() []*Plugin { return h.plugins }

// Load starts each plugin once to learn its codecs, then stops it: the
// process starts again at the first session (lazily).
func (h *Host) Load() error {
	var errs []error
	for _, p := range h.plugins {
		info, err := p.info()
		p.stop()
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: %w", p.Name, err))
			continue
		}
		p.Reported = info.Plugin
		p.Codecs = p.Codecs[:0]
		for _, c := range info.Codecs {
			p.Codecs = append(p.Codecs, codecs.Codec{Name: c.Name, PayloadType: uint8(c.PayloadType), Dynamic: c.Dynamic,
				ClockRate: int(c.ClockRate), SampleRate: int(c.SampleRate), Channels: int(c.Channels), Fmtp: c.Fmtp, SDPChannels: int(c.SdpChannels)})
		}
	}
	return errors.Join(errs...)
}

// Open is New, Load and Register in one: a host whose plugins' codecs are
// in reg. On error nothing is left running.
func Open(cfg Config, reg *codecs.Registry) (*Host, error) {
	h, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := h.Load(); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.Register(reg); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Register adds every codec of the loaded plugins to reg.
func (h *Host) Register(reg *codecs.Registry) error {
	var errs []error
	for _, p := range h.plugins {
		for _, c := range p.Codecs {
			p, c := p, c
			err := reg.Register(codecs.Factory{Codec: c,
				NewEncoder: func(params codecs.Params) (codecs.Encoder, error) {
					return p.open(c, pluginpb.Direction_ENCODE, params)
				},
				NewDecoder: func(params codecs.Params) (codecs.Decoder, error) {
					return p.open(c, pluginpb.Direction_DECODE, params)
				}})
			if err != nil {
				errs = append(errs, fmt.Errorf("plugin %s codec %s: %w", p.Name, c.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close stops every plugin process. A nil Host has none.
func (h *Host) Close() error {
	if h == nil {
		return nil
	}
	for _, p := range h.plugins {
		p.stop()
	}
	return nil
}

// Stats reports the plugin's counters.
func (p *Plugin) Stats() Stats {
	p.mu.Lock()
	running := p.rpc != nil
	p.mu.Unlock()
	return Stats{Running: running, Starts: p.starts.Load(), Failures: p.failures.Load(), Concealed: p.concealed.Load(), Dropped: p.dropped.Load()}
}

// Pid is the plugin process's id, 0 when it is not running.
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return 0
	}
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

func (p *Plugin) info() (*pluginpb.InfoResponse, error) {
	rpc, _, err := p.ensure()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := rpc.Info(ctx, &pluginpb.InfoRequest{})
	if err != nil {
		return nil, err
	}
	if info.ProtocolVersion != sdk.ProtocolVersion {
		return nil, fmt.Errorf("plugin speaks protocol %d, the host %d", info.ProtocolVersion, sdk.ProtocolVersion)
	}
	return info, nil
}

// errRestarting is a call made while a failed plugin waits out its backoff.
var errRestarting = errors.New("plugin restarting")

// ensure starts the process if it is not running and returns its client
// and generation.
func (p *Plugin) ensure() (pluginpb.CodecClient, uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rpc != nil {
		return p.rpc, p.gen, nil
	}
	if !p.downAt.IsZero() && time.Since(p.downAt) < p.backoff {
		return nil, 0, errRestarting
	}
	cmd := exec.Command(p.Path, p.args...)
	cmd.Env = append([]string{}, p.env...) // nothing of the host's environment
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          map[string]plugin.Plugin{sdk.PluginName: &sdk.Plugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
		StartTimeout:     5 * time.Second,
		SkipHostEnv:      true, // go-plugin would pass the host's environment on
	}
	if p.checksum != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: p.checksum, Hash: sha256.New()}
	}
	client := plugin.NewClient(cfg)
	conn, err := client.Client()
	if err == nil {
		var raw any
		if raw, err = conn.Dispense(sdk.PluginName); err == nil {
			rpc, ok := raw.(pluginpb.CodecClient)
			if !ok {
				err = fmt.Errorf("plugin dispensed %T", raw)
			} else {
				p.client, p.rpc = client, rpc
				p.gen++
				p.starts.Add(1)
				p.backoff = 0
				p.host.log.Info("plugin started", "plugin", p.Name, "pid", client.ReattachConfig().Pid)
				return rpc, p.gen, nil
			}
		}
	}
	client.Kill()
	p.downLocked()
	return nil, 0, fmt.Errorf("start plugin %s: %w", p.Name, err)
}

// fail kills the process of generation gen after a failed call (crash,
// hang, garbage): the next call after the backoff starts a new one.
func (p *Plugin) fail(gen uint64, err error) {
	p.failures.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != gen || p.client == nil {
		return // already replaced
	}
	p.host.log.Warn("plugin failed: restarting", "plugin", p.Name, "err", err)
	// A hung plugin gets no graceful shutdown: kill it at once, then let
	// go-plugin tidy up its side without holding up the call.
	client := p.client
	if rc := client.ReattachConfig(); rc != nil {
		if proc, err := os.FindProcess(rc.Pid); err == nil {
			_ = proc.Kill()
		}
	}
	go client.Kill()
	p.client, p.rpc = nil, nil
	p.downLocked()
}

// downLocked starts the backoff: 50 ms, doubling to 1 s.
func (p *Plugin) downLocked() {
	p.downAt = time.Now()
	p.backoff = min(max(2*p.backoff, 50*time.Millisecond), time.Second)
}

func (p *Plugin) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Kill()
	}
	p.client, p.rpc = nil, nil
}
