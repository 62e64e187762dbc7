package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
)

func TestParseDTMF(t *testing.T) {
	got, err := parseDTMF([]byte("1.230 5 0.100\n\n2.000 # 0.045\n"))
	want := []metrics.Tone{{Start: 1.23, Digit: "5", Duration: 0.1}, {Start: 2, Digit: "#", Duration: 0.045}}
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %v, %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"1.0 5", "x 5 0.1", "1.0 55 0.1", "1.0 5 y"} {
		if _, err := parseDTMF([]byte(bad)); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	p := filepath.Join(t.TempDir(), "README.md")
	os.WriteFile(p, []byte("intro\n"+beginMarker+"\nold\n"+endMarker+"\nafter\n"), 0o644)
	if err := replaceSection(p, "new table\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if want := "intro\n" + beginMarker + "\nnew table\n" + endMarker + "\nafter\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	os.WriteFile(p, []byte("no markers"), 0o644)
	if err := replaceSection(p, "x"); err == nil {
		t.Error("no markers: want error")
	}
}

func TestTargets(t *testing.T) {
	status := func(s string) map[string]map[string]string {
		m := map[string]map[string]string{}
		for _, impl := range impls {
			m[impl] = map[string]string{}
			for _, tool := range tools {
				m[impl][tool] = statusOK
			}
		}
		m[implOurs]["aec"] = s
		return m
	}
	rows := []*Row{
		{Table: tabAEC, Group: "far end only", Metric: mERLEConv, Values: map[string]float64{implOurs: 30, implSpeex: 25, implWebRTC: 31}},
		{Table: tabAEC, Group: "double talk", Metric: mNearSeg, Values: map[string]float64{implOurs: 17, implSpeex: 4, implWebRTC: 16}},
		{Table: tabVAD, Group: "all noises  5 dB", Metric: mF1, Values: map[string]float64{implOurs: 0.8, implWebRTC: 0.8}},
		{Table: tabCPU, Group: "vad", Metric: mCPUNet, Values: map[string]float64{implOurs: 0.001, implSpeex: 0.002}},
		{Table: tabDTMF, Group: "-4 dBm0", Metric: mDetected, Cells: map[string]string{implOurs: "16/16, 0 extra"}},
		{Table: tabDTMF, Group: "talk-off: clean speech", Metric: mTalkOff, Values: map[string]float64{implOurs: 2}},
	}
	got := map[string]string{}
	for _, tg := range targets(&Results{Status: status(statusOK), Rows: rows}) {
		got[tg.Name] = tg.Status
	}
	want := map[string]string{
		"AEC far end only: " + mERLEConv + " ≥ the better of speexdsp and WebRTC":       "not met", // 30 < 31
		"AEC double talk: " + mNearSeg + " ≥ the better of speexdsp and WebRTC":         "met",
		"AEC echo-path change: " + mERLEChange + " ≥ the better of speexdsp and WebRTC": statusNA,
		"VAD F1 above WebRTC VAD at 5 dB SNR (white, pink, babble pooled)":              "not met", // equal is not above
		"CPU per audio second of vad (net of process start) ≤ speexdsp's":               "met",
		"DTMF: every valid digit detected (digit and start within ±20 ms)":              "met",
		"DTMF: no detection on the speech corpus (talk-off)":                            "not met",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	for _, tg := range targets(&Results{Status: status(statusNotBuilt), Rows: rows}) {
		if strings.HasPrefix(tg.Name, "AEC") && tg.Status != statusNotBuilt {
			t.Errorf("%s: %q, want not built", tg.Name, tg.Status)
		}
	}
}
