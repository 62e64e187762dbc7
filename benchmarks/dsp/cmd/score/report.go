package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
)

// Target is one of the goals, judged on the results.
type Target struct {
	Name   string `json:"name"`
	Status string `json:"status"` // met, not met, not built, n/a
	Detail string `json:"detail"`
}

func findRow(rows []*Row, table, group, metric string) *Row {
	for _, r := range rows {
		if r.Table == table && r.Group == group && r.Metric == metric {
			return r
		}
	}
	return nil
}

func targets(res *Results) []Target {
	var ts []Target
	ours := func(tool string) string { return res.Status[implOurs][tool] }
	// AEC: at least as good as the better reference in every family.
	for _, t := range []struct{ group, metric string }{
		{"far end only", mERLEConv},
		{"echo-path change", mERLEChange},
		{"double talk", mNearSeg},
	} {
		name := fmt.Sprintf("AEC %s: %s ≥ the better of speexdsp and WebRTC", t.group, t.metric)
		r := findRow(res.Rows, tabAEC, t.group, t.metric)
		ts = append(ts, compare(name, ours("aec"), r, func(v map[string]float64) (bool, string, bool) {
			o, ok1 := v[implOurs]
			sp, ok2 := v[implSpeex]
			wr, ok3 := v[implWebRTC]
			if !ok1 || !ok2 || !ok3 {
				return false, "", false
			}
			best := math.Max(sp, wr)
			return o >= best, fmt.Sprintf("%.1f vs %.1f", o, best), true
		}))
	}
	// VAD: F1 above WebRTC's at every SNR (pooled over the noise types).
	for _, r := range res.Rows {
		if r.Table != tabVAD || !strings.HasPrefix(r.Group, "all noises") {
			continue
		}
		snr := strings.TrimSpace(strings.TrimPrefix(r.Group, "all noises"))
		ts = append(ts, compare("VAD F1 above WebRTC VAD at "+snr+" SNR (white, pink, babble pooled)", ours("vad"), r,
			func(v map[string]float64) (bool, string, bool) {
				o, ok1 := v[implOurs]
				w, ok2 := v[implWebRTC]
				if !ok1 || !ok2 {
					return false, "", false
				}
				return o > w, fmt.Sprintf("%.3f vs %.3f", o, w), true
			}))
	}
	// DTMF: every valid digit, no talk-off.
	det := Target{Name: "DTMF: every valid digit detected (digit and start within ±20 ms)", Status: ours("dtmf")}
	off := Target{Name: "DTMF: no detection on the speech corpus (talk-off)", Status: ours("dtmf")}
	if ours("dtmf") == statusOK {
		hit, sent, extra := 0.0, 0.0, 0
		for _, r := range res.Rows {
			if r.Table == tabDTMF && r.Metric == mDetected {
				var h, s, e int
				fmt.Sscanf(r.Cells[implOurs], "%d/%d, %d extra", &h, &s, &e)
				hit, sent, extra = hit+float64(h), sent+float64(s), extra+e
			}
		}
		det.Status, det.Detail = metNot(hit == sent && sent > 0), fmt.Sprintf("%.0f/%.0f detected, %d extra in the DTMF files", hit, sent, extra)
		if r := findRow(res.Rows, tabDTMF, "talk-off: clean speech", mTalkOff); r != nil {
			off.Status, off.Detail = metNot(r.Values[implOurs] == 0), fmt.Sprintf("%.0f false detections", r.Values[implOurs])
		} else {
			off.Status = statusNA
		}
	}
	ts = append(ts, det, off)
	// CPU: no worse than speexdsp.
	for _, tool := range []string{"aec", "ns", "agc", "vad"} {
		r := findRow(res.Rows, tabCPU, tool, mCPUNet)
		ts = append(ts, compare("CPU per audio second of "+tool+" (net of process start) ≤ speexdsp's", ours(tool), r,
			func(v map[string]float64) (bool, string, bool) {
				o, ok1 := v[implOurs]
				sp, ok2 := v[implSpeex]
				if !ok1 || !ok2 {
					return false, "", false
				}
				return o <= sp, fmt.Sprintf("%.5f vs %.5f s/s", o, sp), true
			}))
	}
	return ts
}

func metNot(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func compare(name, status string, r *Row, judge func(map[string]float64) (bool, string, bool)) Target {
	t := Target{Name: name, Status: status}
	if status != statusOK {
		return t
	}
	if r == nil {
		t.Status = statusNA
		return t
	}
	ok, detail, valid := judge(r.Values)
	if !valid {
		t.Status, t.Detail = statusNA, "a figure is missing"
		return t
	}
	t.Status, t.Detail = metNot(ok), detail
	return t
}

var tableTool = map[string]string{tabAEC: "aec", tabNS: "ns", tabVAD: "vad", tabAGC: "agc", tabDTMF: "dtmf"}

var implTitle = map[string]string{implOurs: "voxgraph", implSpeex: "speexdsp", implWebRTC: "WebRTC"}

var tableIntro = map[string]string{
	tabAEC:  "Echo cancellation, mean over the scenarios of each family (RT60 100–400 ms, bulk delay 10–150 ms, ERL 6–20 dB). ERLE over far-end-active blocks; near-end segSNR over near-end-active blocks of double talk.",
	tabNS:   "Noise suppression: segmental SNR of the output against the clean speech minus that of the noisy input, over speech-active blocks, mean over talkers and rates.",
	tabVAD:  "Voice activity per 10 ms against the ground truth from the clean speech: F1 (precision/recall) pooled over all blocks of the row.",
	tabAGC:  "Automatic gain control: active level of the output (over the clean speech's active blocks) for each input level; the spread is the largest minus the smallest, smaller is better.",
	tabDTMF: "DTMF detection: a digit counts when the digit matches and the start is within ±20 ms; extra = detections that match no sent digit. Talk-off: detections on the clean speech tracks. (Neither reference has a DTMF detector.)",
	tabCPU:  "Child-process user+system CPU seconds per second of audio (os/exec ProcessState), summed over the whole corpus of each tool. The first row includes process start and file reading; the second subtracts, per run, the median CPU of five runs of the same tool on 0.1 s of silence.",
}

func markdown(res *Results) string {
	var b bytes.Buffer
	corpusKind := "full corpus"
	if res.Short {
		corpusKind = "short corpus (--short)"
	}
	fmt.Fprintf(&b, "Made by `%s` on %s (%s), %s; references: %s, %s; wall time %.0f s.\n\n",
		res.Command, res.Date, res.Machine, corpusKind, res.References[implSpeex], res.References[implWebRTC], res.WallSecs)
	fmt.Fprintf(&b, "Tool status: ")
	var st []string
	for _, tool := range tools {
		st = append(st, fmt.Sprintf("%s %s", tool, res.Status[implOurs][tool]))
	}
	fmt.Fprintf(&b, "voxgraph %s.\n\n", strings.Join(st, ", "))
	for _, tab := range []string{tabAEC, tabNS, tabVAD, tabAGC, tabDTMF, tabCPU} {
		fmt.Fprintf(&b, "#### %s\n\n%s\n\n", tab, tableIntro[tab])
		cols := impls
		if tab == tabDTMF {
			cols = []string{implOurs}
		}
		fmt.Fprintf(&b, "| | |")
		for _, c := range cols {
			fmt.Fprintf(&b, " %s |", implTitle[c])
		}
		fmt.Fprintf(&b, "\n|---|---|%s\n", strings.Repeat("---:|", len(cols)))
		empty := true
		for _, r := range res.Rows {
			if r.Table != tab {
				continue
			}
			empty = false
			fmt.Fprintf(&b, "| %s | %s |", r.Group, r.Metric)
			for _, impl := range cols {
				fmt.Fprintf(&b, " %s |", cell(res, r, impl))
			}
			b.WriteString("\n")
		}
		if empty { // nothing ran: say why in each column
			b.WriteString("| all | |")
			for _, impl := range cols {
				fmt.Fprintf(&b, " %s |", cell(res, &Row{Table: tab}, impl))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("#### Targets\n\n| target | status | figures |\n|---|---|---|\n")
	for _, t := range res.Targets {
		fmt.Fprintf(&b, "| %s | **%s** | %s |\n", t.Name, t.Status, t.Detail)
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(&b, "\n%d errors (see the JSON).\n", len(res.Errors))
	}
	return b.String()
}

func cell(res *Results, r *Row, impl string) string {
	if c, ok := r.Cells[impl]; ok {
		return c
	}
	if v, ok := r.Values[impl]; ok {
		return fmt.Sprintf("%.1f", v)
	}
	tool := tableTool[r.Table]
	if r.Table == tabCPU {
		tool = r.Group
	}
	if s := res.Status[impl][tool]; s != statusOK {
		return s
	}
	return "—"
}

// Markers of the generated section of the README.
const (
	beginMarker = "<!-- results:begin -->"
	endMarker   = "<!-- results:end -->"
)

// replaceSection puts md between the markers of the file at path.
func replaceSection(path, md string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("readme: %w", err)
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return fmt.Errorf("readme %s: no %s … %s section", path, beginMarker, endMarker)
	}
	s = s[:i+len(beginMarker)] + "\n" + md + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
