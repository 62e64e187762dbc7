package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
	"github.com/voxgraph/voxgraph/plugins"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// BuiltinPluginCodec is the name the built-in plugin serves G.722 under:
// the in-process codec through the plugin path, to try and test plugins
// with no extra build.
const BuiltinPluginCodec = "G722-PLUGIN"

// builtinPluginFactory is G.722 as the built-in plugin serves it.
func builtinPluginFactory() codecs.Factory {
	f := g722.Factory()
	f.Name, f.PayloadType, f.Dynamic = BuiltinPluginCodec, 96, true
	return f
}

// cmdPlugin is `voxgraph plugin serve`: the voxgraph binary as a codec
// plugin process (started by a host, not by hand).
func cmdPlugin(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plugin", "serve",
		"Serves the built-in codec plugin (G.722 as "+BuiltinPluginCodec+") on the plugin protocol.\n"+
			"A plugin host starts it (voxgraph run --builtin-plugin); it is not run by hand.", stderr)
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 1 || pos[0] != "serve" {
		fs.Usage()
		return exitUsage
	}
	sdk.Serve("voxgraph-builtin", builtinPluginFactory())
	return exitOK
}

// pluginFlags are the flags that load codec plugins. batch makes the host
// batch every session's frames of a tick into one exchange (plugins.Config
// Batch): for the gateway's many calls, at one frame of added latency.
type pluginFlags struct {
	dirs    multiFlag
	builtin bool
	batch   bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// define adds --plugins and --builtin-plugin to fs.
func (p *pluginFlags) define(fs *flag.FlagSet) {
	fs.Var(&p.dirs, "plugins", "directory of codec plugins (executables named voxgraph-codec-*; repeatable)")
	fs.BoolVar(&p.builtin, "builtin-plugin", false, "the built-in plugin too (this binary in its own process, serving G.722 as "+BuiltinPluginCodec+")")
}

// config is the host configuration of the flags' plugins.
func (p *pluginFlags) config(log *slog.Logger) (plugins.Config, error) {
	cfg := plugins.Config{Dirs: p.dirs, Logger: log, Batch: p.batch}
	if p.builtin {
		self, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("built-in plugin: %w", err)
		}
		cfg.Commands = append(cfg.Commands, plugins.Command{Name: "voxgraph-builtin", Path: self, Args: []string{"plugin", "serve"}})
	}
	return cfg, nil
}

// load starts a host for the flags' plugins, learns their codecs and
// registers them in codecs.Default. It returns nil without plugins.
func (p *pluginFlags) load(log *slog.Logger) (*plugins.Host, error) {
	if len(p.dirs) == 0 && !p.builtin {
		return nil, nil
	}
	cfg, err := p.config(log)
	if err != nil {
		return nil, err
	}
	return plugins.Open(cfg, codecs.Default)
}

// cmdPlugins is `voxgraph plugins`: the plugins found, their codecs and status.
func cmdPlugins(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plugins", "[--plugins DIR]... [--builtin-plugin]",
		"Lists the codec plugins found in the directories (executables named voxgraph-codec-*),\n"+
			"starts each once to learn its codecs, and prints them.", stderr)
	var pf pluginFlags
	pf.define(fs)
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := pf.config(slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph plugins:", err)
		return exitError
	}
	h, err := plugins.New(cfg) // listing: Load's errors are shown per plugin
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph plugins:", err)
		return exitError
	}
	defer h.Close()
	loadErr := h.Load()
	if len(h.Plugins()) == 0 {
		fmt.Fprintln(stdout, "no plugins found")
		return exitOK
	}
	for _, p := range h.Plugins() {
		status := "ok"
		if len(p.Codecs) == 0 {
			status = "failed to load"
		}
		fmt.Fprintf(stdout, "%s (%s): %s\n  path: %s\n", p.Name, p.Reported, status, p.Path)
		for _, c := range p.Codecs {
			fmt.Fprintf(stdout, "  codec %s\n", c)
		}
	}
	if loadErr != nil {
		fmt.Fprintln(stderr, "voxgraph plugins:", loadErr)
		return exitError
	}
	return exitOK
}
