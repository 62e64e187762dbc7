// Command score runs voxgraph's DSP tools and the speexdsp and WebRTC
// reference runners over the corpus made by cmd/corpus, scores their
// outputs and writes the results as JSON and as Markdown tables (optionally
// into a README between <!-- results:begin --> and <!-- results:end -->).
//
// Every tool is a child process with the same CLI shape; its CPU time is
// the child's user+system time from os/exec's ProcessState, summed over the
// corpus and divided by the seconds of audio, the same measure for all.
// A voxgraph tool that is not in the binary yet ("unknown tool", exit 2) is
// reported as "not built". Any other failure to run or to score makes the
// exit status 1; missed targets do not.
//
//	score --corpus DIR --outdir DIR --voxgraph BIN --speex BIN --webrtc BIN
//	      [--json FILE] [--readme FILE] [--command TEXT] [--jobs 2]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/corpus"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
)

// Results is the JSON document: versioned so a format change is visible.
type Results struct {
	Version    int                          `json:"version"`
	Command    string                       `json:"command"`
	Date       string                       `json:"date"`
	Machine    string                       `json:"machine"`
	References map[string]string            `json:"references"`
	Short      bool                         `json:"short"`
	Status     map[string]map[string]string `json:"status"`
	Rows       []*Row                       `json:"rows"`
	Targets    []Target                     `json:"targets"`
	Errors     []string                     `json:"errors,omitempty"`
	Records    []Record                     `json:"records"`
	WallSecs   float64                      `json:"wall_seconds"`
}

func main() {
	corpusDir := flag.String("corpus", "", "corpus directory (made by cmd/corpus)")
	outDir := flag.String("outdir", "", "directory for the tools' outputs")
	ours := flag.String("voxgraph", "", "voxgraph binary")
	speex := flag.String("speex", "", "speexdsp reference runner")
	webrtc := flag.String("webrtc", "", "WebRTC reference runner")
	jsonOut := flag.String("json", "", "write the results as JSON here")
	readme := flag.String("readme", "", "replace the results section of this Markdown file")
	command := flag.String("command", "", "the command line that produced the results, for the record")
	jobs := flag.Int("jobs", 2, "tool runs at once")
	flag.Parse()
	if *corpusDir == "" || *outDir == "" || *ours == "" || *speex == "" || *webrtc == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: score --corpus DIR --outdir DIR --voxgraph BIN --speex BIN --webrtc BIN [--json FILE] [--readme FILE] [--command TEXT] [--jobs N]")
		os.Exit(2)
	}
	start := time.Now()
	m, err := corpus.Read(*corpusDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
	r := &runner{bin: map[string]string{implOurs: *ours, implSpeex: *speex, implWebRTC: *webrtc}, outDir: *outDir, timeout: 5 * time.Minute}
	res := &Results{Version: 1, Command: *command, Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: machine(),
		References: refVersions(), Short: m.Short, Status: map[string]map[string]string{}}
	for _, impl := range impls {
		res.Status[impl] = map[string]string{}
		for _, tool := range tools {
			res.Status[impl][tool] = r.probe(impl, tool)
		}
	}

	var all []*job
	for i := range m.Items {
		it := &m.Items[i]
		for _, tool := range toolsFor(it.Family) {
			for _, impl := range impls {
				if res.Status[impl][tool] != statusOK {
					continue
				}
				all = append(all, &job{impl: impl, tool: tool, item: it, args: r.command(impl, tool, it, *corpusDir), out: r.outPath(impl, tool, it)})
			}
		}
	}
	fmt.Fprintf(os.Stderr, "score: %d runs over %d corpus files on %d workers\n", len(all), len(m.Items), *jobs)
	r.runAll(all, *jobs)

	s := newScorer(*corpusDir)
	vadPools := map[string]map[string]*metrics.Confusion{}
	var vadOrder, dtmfOrder []string
	agcLevels := map[string]map[float64][]float64{}
	dtmfTotals := map[string]*[3]int{}
	cpu := map[string]map[string][3]float64{} // impl → tool → cpu s, audio s, runs
	for _, j := range all {
		if j.err != nil {
			s.fail("%v", j.err)
			res.Status[j.impl][j.tool] = statusFailed
			continue
		}
		if cpu[j.impl] == nil {
			cpu[j.impl] = map[string][3]float64{}
		}
		c := cpu[j.impl][j.tool]
		cpu[j.impl][j.tool] = [3]float64{c[0] + j.cpu.Seconds(), c[1] + j.item.Seconds, c[2] + 1}
		switch j.tool {
		case "aec":
			s.aec(j)
		case "ns":
			s.ns(j)
		case "vad":
			s.vad(j, vadPools, &vadOrder)
		case "agc":
			s.agc(j, agcLevels)
		case "dtmf":
			s.dtmf(j, dtmfTotals, &dtmfOrder)
		}
	}
	s.finish()
	s.vadRows(vadPools, vadOrder)
	s.agcSpread(agcLevels)
	s.dtmfRows(dtmfTotals, dtmfOrder)
	for _, tool := range tools {
		row := s.row(tabCPU, tool, mCPU)
		net := s.row(tabCPU, tool, mCPUNet)
		for impl, byTool := range cpu {
			c, ok := byTool[tool]
			if !ok || c[1] <= 0 {
				continue
			}
			row.Values[impl] = round6(c[0] / c[1])
			row.Cells[impl] = fmt.Sprintf("%.5f", c[0]/c[1])
			row.N = int(c[1])
			st, err := r.startupCPU(impl, tool)
			if err != nil {
				s.fail("%s %s: start-up run: %v", impl, tool, err)
				continue
			}
			v := max(0, c[0]-c[2]*st.Seconds()) / c[1]
			net.Values[impl] = round6(v)
			net.Cells[impl] = fmt.Sprintf("%.5f", v)
			net.N = int(c[1])
			s.records = append(s.records, Record{Tool: tool, Impl: impl, Item: "startup", Metric: "cpu_ms", Value: round(st.Seconds() * 1000)})
		}
	}
	sortRows(s.rows)
	res.Rows = s.rows
	res.Records = s.records
	res.Errors = s.errs
	res.Targets = targets(res)
	res.WallSecs = round(time.Since(start).Seconds())

	md := markdown(res)
	fmt.Print(md)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", " ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "score:", err)
			os.Exit(1)
		}
	}
	if *readme != "" {
		if err := replaceSection(*readme, md); err != nil {
			fmt.Fprintln(os.Stderr, "score:", err)
			os.Exit(1)
		}
	}
	if len(s.errs) > 0 {
		fmt.Fprintf(os.Stderr, "score: %d errors:\n", len(s.errs))
		for _, e := range s.errs {
			fmt.Fprintln(os.Stderr, "  ", e)
		}
		os.Exit(1)
	}
}

func round6(v float64) float64 { return float64(int64(v*1e6+0.5)) / 1e6 }

// toolsFor lists the tools run on a corpus family.
func toolsFor(family string) []string {
	switch family {
	case corpus.AECFarEnd, corpus.AECDoubleTalk, corpus.AECPathChange:
		return []string{"aec"}
	case corpus.Noisy:
		return []string{"ns", "vad"}
	case corpus.Clean:
		return []string{"vad", "dtmf"}
	case corpus.AGC:
		return []string{"agc"}
	case corpus.DTMF:
		return []string{"dtmf"}
	}
	return nil
}

// sortRows keeps tables in a fixed order and, within one, the order rows
// were first made (the corpus order), except AEC rows by family then metric.
func sortRows(rows []*Row) {
	tab := map[string]int{tabAEC: 0, tabNS: 1, tabVAD: 2, tabAGC: 3, tabDTMF: 4, tabCPU: 5}
	fam := map[string]int{"far end only": 0, "echo-path change": 1, "double talk": 2}
	met := map[string]int{mERLEConv: 0, mERLEInit: 1, mERLEBefore: 2, mERLEChange: 3, mNearSeg: 4}
	sort.SliceStable(rows, func(a, b int) bool {
		ra, rb := rows[a], rows[b]
		if tab[ra.Table] != tab[rb.Table] {
			return tab[ra.Table] < tab[rb.Table]
		}
		if ra.Table == tabAEC {
			if fam[ra.Group] != fam[rb.Group] {
				return fam[ra.Group] < fam[rb.Group]
			}
			return met[ra.Metric] < met[rb.Metric]
		}
		return false
	})
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d cores%s, %s", model, runtime.NumCPU(), kernel, runtime.Version())
}

func refVersions() map[string]string {
	v := map[string]string{}
	for impl, pkg := range map[string]string{implSpeex: "speexdsp", implWebRTC: "webrtc-audio-processing"} {
		out, err := exec.Command("pkg-config", "--modversion", pkg).Output()
		if err == nil {
			v[impl] = pkg + " " + strings.TrimSpace(string(out))
		}
	}
	return v
}
