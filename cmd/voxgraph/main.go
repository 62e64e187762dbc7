// Command voxgraph runs, checks and describes voxgraph media graphs.
//
//	voxgraph run FILE|std:NAME|"PIPELINE" [--set key=value]...
//	voxgraph validate FILE...
//	voxgraph inspect [ELEMENT]
//	voxgraph dot FILE|std:NAME|"PIPELINE"
//	voxgraph demo
//	voxgraph bench std:NAME|FILE|"PIPELINE" [--calls N | --ramp FROM:TO:STEP] [--json F] [--plot F.png]
//	voxgraph dsp aec|vad|ns|agc|dtmf [flags]
//
// Exit codes: 0 success, 1 runtime or validation error, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	_ "github.com/voxgraph/voxgraph/elements" // built-in elements
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run a graph until end-of-stream or Ctrl-C", cmdRun},
		{"validate", "check graph files without running them", cmdValidate},
		{"inspect", "list elements, or describe one", cmdInspect},
		{"dot", "print a graph as Graphviz DOT", cmdDot},
		{"demo", "a transcoded call through the gateway on loopback, no setup", cmdDemo},
		{"gateway", "run the SIP transcoding gateway", cmdGateway},
		{"call", "place a SIP call: play a file, record the answer", cmdCall},
		{"keygen", "print a random SRTP key (inline:BASE64)", cmdKeygen},
		{"plugins", "list codec plugins and their codecs", cmdPlugins},
		{"plugin", "serve the built-in codec plugin (run by a plugin host)", cmdPlugin},
		{"bench", "run many calls of a graph; per-element latency, CPU per call, calls per core", cmdBench},
		{"bench-sender", "send synthetic RTP speech streams (voxgraph bench's sender)", cmdBenchSender},
		{"dsp", "run a DSP algorithm (aec, vad, ns, agc, dtmf) over WAV files, offline", cmdDSP},
	}
}

func main() {
	configureSIPLibraryLog(os.Getenv("VOXGRAPH_SIP_LOG"))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// configureSIPLibraryLog points sipgo's package-level logger at stderr, once,
// before anything runs (sipgo reads it from its own goroutines, so it must
// not change later). Its internals are noise for users: errors only, unless
// VOXGRAPH_SIP_LOG names a level (debug, info, warn).
func configureSIPLibraryLog(level string) {
	l := slog.LevelError
	if level != "" {
		_ = l.UnmarshalText([]byte(level))
	}
	sipgosip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		if len(args) > 1 && args[0] == "help" {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "voxgraph: unknown command %q\n", args[0])
	names := make([]string, 0, len(commands()))
	for _, c := range commands() {
		names = append(names, c.name)
	}
	fmt.Fprintln(stderr, "commands:", strings.Join(names, ", "))
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "voxgraph — real-time voice media graphs")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: voxgraph COMMAND [flags] [args]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'voxgraph COMMAND --help' for a command's flags.")
}

// newFlags returns a flag set whose usage prints the synopsis and flags.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: voxgraph %s %s\n\n%s\n", name, synopsis, about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(out, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseInterspersed parses flags that may appear before or after positional
// arguments. It returns the positional arguments, or an exit code when
// parsing ended (help: 0, error: 2).
func parseInterspersed(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// setFlag collects repeated --set key=value flags.
type setFlag map[string]string

func (s setFlag) String() string {
	var parts []string
	for k, v := range s {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	s[k] = val
	return nil
}
