package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/sip"
)

func voxgraph(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestRunWritesToneAndPrintsStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.wav")
	code, out, errs := voxgraph("run", "tone freqs=1000 duration=2s ! wav-sink path="+graphs.Quote(path))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"end of stream", "element", "tone0", "wav-sink0", "100"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
	r, err := wav.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.SampleRate() != 8000 || r.Channels() != 1 || r.NumFrames() != 16000 {
		t.Fatalf("wav: %d Hz %d ch %d frames", r.SampleRate(), r.Channels(), r.NumFrames())
	}
}

func TestRunWithVariables(t *testing.T) {
	dir := t.TempDir()
	graph := filepath.Join(dir, "g.yaml")
	out := filepath.Join(dir, "o.wav")
	os.WriteFile(graph, []byte("name: g\nvars: {dur: 40ms}\nelements:\n  s: {type: tone, duration: \"${dur}\"}\n  o: {type: wav-sink, path: \"${out}\"}\nlinks:\n  - s -> o\n"), 0o644)
	code, _, errs := voxgraph("run", graph, "--set", "out="+out, "--set", "dur=60ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r, err := wav.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumFrames() != 480 {
		t.Fatalf("frames = %d, want 480 (60 ms from --set)", r.NumFrames())
	}
	code, _, errs = voxgraph("run", graph)
	if code != 1 || !strings.Contains(errs, "variable ${out} is not set (pass --set out=VALUE") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("elements:\n  a: {type: tone}\n  b: {type: null-sink}\nlinks:\n  - a -> b\n"), 0o644)
	broken := map[string]struct{ src, want string }{
		"yaml.yaml":     {"elements:\n  a: {type: tone\n", "yaml.yaml:"},
		"unknown.yaml":  {"elements:\n  a: {type: tonee}\n  b: {type: null-sink}\nlinks:\n  - a -> b\n", `unknown.yaml:2:3: unknown element type "tonee" for "a" (did you mean "tone"?)`},
		"prop.yaml":     {"elements:\n  a: {type: tone, freq: 3}\n  b: {type: null-sink}\nlinks:\n  - a -> b\n", `prop.yaml:2:19: unknown property "freq"`},
		"type.yaml":     {"elements:\n  a: {type: tone, level: loud}\n  b: {type: null-sink}\nlinks:\n  - a -> b\n", `type.yaml:2:26: property level of "a" (float): "loud" is not a number`},
		"port.yaml":     {"elements:\n  a: {type: tone}\n  b: {type: null-sink}\nlinks:\n  - a.audio -> b\n", `"a" (tone) has no output port "audio"`},
		"mismatch.yaml": {"elements:\n  a: {type: tone}\n  e: {type: encode, codec: PCMU}\n  g: {type: gain}\n  b: {type: null-sink}\nlinks:\n  - a -> e -> g -> b\n", "cannot link e.out to g.in: gain (port in) wants PCM audio, gets PCMU/8000"},
		"cycle.yaml":    {"elements:\n  a: {type: tone}\n  n: {type: null-sink}\n  g: {type: gain}\n  l: {type: level}\nlinks:\n  - a -> n\n  - g -> l -> g\n", "links form a cycle: g -> l -> g"},
		"dangling.yaml": {"elements:\n  a: {type: tone}\n  g: {type: gain}\n  b: {type: null-sink}\nlinks:\n  - a -> b\n", `element "g" (gain): input port "in" is not linked`},
	}
	code, out, errs := voxgraph("validate", good, "std:demo")
	if code != 0 || !strings.Contains(out, good+": ok") {
		t.Fatalf("valid graphs: exit %d\n%s%s", code, out, errs)
	}
	for name, tc := range broken {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			os.WriteFile(path, []byte(tc.src), 0o644)
			code, _, errs := voxgraph("validate", good, path)
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if !strings.Contains(errs, tc.want) {
				t.Fatalf("stderr:\n%s\nwant it to contain %q", errs, tc.want)
			}
			if !strings.Contains(errs, "1 of 2 graphs invalid") {
				t.Fatalf("no summary line:\n%s", errs)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	code, out, _ := voxgraph("inspect")
	if code != 0 {
		t.Fatal(code)
	}
	for _, el := range []string{"wav-src", "wav-sink", "tone", "encode", "decode", "gain", "tee", "level", "null-sink"} {
		if !strings.Contains(out, el+" ") {
			t.Errorf("inspect list lacks %s", el)
		}
	}
	code, out, _ = voxgraph("inspect", "tone")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"tone — generates sine tones", "Ports:", "out", "output", "Properties:", "freqs (list of float, default 1000)", "level (float, default -10)", "duration (duration, default 0s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect tone lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = voxgraph("inspect", "tee")
	if code != 0 || !strings.Contains(out, "out_%d  output  request") {
		t.Errorf("inspect tee:\n%s", out)
	}
	code, out, _ = voxgraph("inspect", "--graphs")
	if code != 0 || !strings.Contains(out, "std:demo") || !strings.Contains(out, "std:g711-roundtrip") {
		t.Errorf("inspect --graphs:\n%s", out)
	}
	code, out, _ = voxgraph("inspect", "std:demo")
	if code != 0 || !strings.Contains(out, "name: demo") {
		t.Errorf("inspect std:demo:\n%s", out)
	}
	code, _, errs := voxgraph("inspect", "gian")
	if code != 1 || !strings.Contains(errs, `did you mean "gain"?`) {
		t.Errorf("inspect gian: exit %d %s", code, errs)
	}
}

func TestDot(t *testing.T) {
	code, out, errs := voxgraph("dot", "tone ! tee name=t ! null-sink  t. ! encode ! null-sink")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"digraph", `"tone0" -> "t" [label="PCM 8000Hz mono 20ms"`, `"encode0" -> "null-sink1" [label="PCMU/8000 pt=0 20ms"`, `taillabel="out_1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("dot output lacks %q:\n%s", want, out)
		}
	}
}

func TestDemo(t *testing.T) {
	code, out, errs := voxgraph("demo", "--duration", "2s", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"route:   demo", "leg A:   caller ⇄ gateway  PCMU", "leg B:   gateway ⇄ callee  G722", "transcoding true",
		"a_dec", "b_enc", "call succeeded: PCMU ⇄ G722 transcoded", "(0 in use)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageAndHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := voxgraph(c.name, "--help")
		if code != 0 || !strings.Contains(out, "usage: voxgraph "+c.name) {
			t.Errorf("%s --help: exit %d\n%s", c.name, code, out)
		}
	}
	tests := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"run"}, 2},
		{[]string{"run", "--nope", "x"}, 2},
		{[]string{"validate"}, 2},
		{[]string{"inspect", "a", "b"}, 2},
		{[]string{"--help"}, 0},
		{[]string{"help", "run"}, 0},
		{[]string{"run", "tone ! ! null-sink"}, 1},
	}
	for _, tc := range tests {
		if code, _, _ := voxgraph(tc.args...); code != tc.code {
			t.Errorf("voxgraph %q: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

// TestBinary builds the real binary and checks an exit code from the outside.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "voxgraph")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "validate", "tone ! encode ! gain ! null-sink")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "<pipeline>:1:") {
		t.Fatalf("no position in:\n%s", out)
	}
}

// TestStdGraphsBuild checks every embedded standard graph builds, with the
// variables that have no default filled in.
func TestStdGraphsBuild(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	w, err := wav.Create(in, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]int16, 800))
	w.Close()
	vars := map[string]string{"in": in, "out": filepath.Join(dir, "out.wav"),
		// the b2bua template's per-call variables
		"a_local": "127.0.0.1:0", "b_local": "127.0.0.1:0", "a_codec": "PCMU", "a_pt": "0", "a_rpt": "0", "b_codec": "PCMA", "b_pt": "8", "b_rpt": "8",
		"a_rate": "8000", "b_rate": "8000", "a_remote": "127.0.0.1:4000", "b_remote": "127.0.0.1:4002",
		// the app templates' variables
		"local": "127.0.0.1:0", "remote": "127.0.0.1:4004", "codec": "PCMU", "pt": "0", "rpt": "0", "rate": "8000", "file": in}
	for _, name := range graphs.StdNames() {
		t.Run(name, func(t *testing.T) {
			if err := validate("std:"+name, vars); err != nil {
				t.Fatal(err)
			}
		})
	}
	code, _, errs := voxgraph("run", "std:g711-roundtrip", "--set", "in="+in, "--set", "out="+filepath.Join(dir, "rt.wav"), "--set", "codec=PCMA")
	if code != 0 {
		t.Fatalf("run std:g711-roundtrip: exit %d %s", code, errs)
	}
}

func TestKeygen(t *testing.T) {
	for _, p := range []string{"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM"} {
		code, out, errs := voxgraph("keygen", "--profile", p)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if _, err := rtp.ParseKeys(p, strings.TrimSpace(out)); err != nil {
			t.Fatalf("keygen output %q does not parse: %v", out, err)
		}
	}
	if code, _, _ := voxgraph("keygen", "--profile", "NOPE"); code != 2 {
		t.Fatalf("unknown profile: exit %d, want 2", code)
	}
}

func TestGatewayExampleConfig(t *testing.T) {
	code, out, _ := voxgraph("gateway", "--example-config")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := sip.ParseConfig("example", []byte(out)); err != nil {
		t.Fatalf("example config does not parse: %v", err)
	}
	if code, _, _ := voxgraph("gateway"); code != 2 {
		t.Fatalf("gateway without --config: exit %d, want 2", code)
	}
	bad := filepath.Join(t.TempDir(), "gw.yaml")
	os.WriteFile(bad, []byte("media: {ports: nope}\n"), 0o644)
	if code, _, errs := voxgraph("gateway", "--config", bad); code != 1 || !strings.Contains(errs, "media.ports") {
		t.Fatalf("bad config: exit %d %s", code, errs)
	}
}

// TestCall places a call with `voxgraph call` to a phone that answers.
func TestCall(t *testing.T) {
	dir := t.TempDir()
	ports, err := sip.NewPorts(netip.MustParseAddr("127.0.0.1"), 48000, 48999) // apart from the caller's default range
	if err != nil {
		t.Fatal(err)
	}
	callee, err := sip.NewPhone(sip.PhoneConfig{Ports: ports, Codecs: []string{"PCMA"}, Record: filepath.Join(dir, "callee.wav"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer callee.Close()
	play := filepath.Join(dir, "play.wav")
	if code, _, errs := voxgraph("run", "tone freqs=500 duration=1s ! wav-sink path="+graphs.Quote(play), "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	rec := filepath.Join(dir, "heard.wav")
	code, out, errs := voxgraph("call", callee.URI(), "--play", play, "--record", rec, "--duration", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	if !strings.Contains(out, "connected: ") || !strings.Contains(out, "PCMA") || !strings.Contains(out, "call ended: local hangup") {
		t.Fatalf("output:\n%s", out)
	}
	r, err := wav.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if code, _, _ := voxgraph("call", "sip:nobody@127.0.0.1:1", "--duration", "1s", "--dial-timeout", "1s"); code != 1 {
		t.Fatalf("call to nowhere: exit %d, want 1", code)
	}
}
