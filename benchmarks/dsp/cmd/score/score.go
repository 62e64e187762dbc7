package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/corpus"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/synth"
	"github.com/voxgraph/voxgraph/dsp/wav"
)

// Record is one per-file figure: the raw results, so that a change shows
// up in a diff of the JSON file by file.
type Record struct {
	Tool   string  `json:"tool"`
	Impl   string  `json:"impl"`
	Item   string  `json:"item"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
}

// Row is one line of a results table: one figure per implementation.
type Row struct {
	Table  string             `json:"table"`
	Group  string             `json:"group"`
	Metric string             `json:"metric"`
	N      int                `json:"files"`
	Values map[string]float64 `json:"values"`
	Cells  map[string]string  `json:"-"`
}

// scorer accumulates records and table rows.
type scorer struct {
	corpusDir string
	records   []Record
	rows      []*Row
	index     map[string]*Row
	vals      map[*Row]map[string][]float64 // per-file values for means
	errs      []string
}

func newScorer(dir string) *scorer {
	return &scorer{corpusDir: dir, index: map[string]*Row{}, vals: map[*Row]map[string][]float64{}}
}

func (s *scorer) fail(format string, a ...any) { s.errs = append(s.errs, fmt.Sprintf(format, a...)) }

// row returns the table row for (table, group, metric), creating it in
// order of first use.
func (s *scorer) row(table, group, metric string) *Row {
	k := table + "\x00" + group + "\x00" + metric
	if r, ok := s.index[k]; ok {
		return r
	}
	r := &Row{Table: table, Group: group, Metric: metric, Values: map[string]float64{}, Cells: map[string]string{}}
	s.index[k] = r
	s.rows = append(s.rows, r)
	s.vals[r] = map[string][]float64{}
	return r
}

// add records a per-file value and adds it to the row's mean.
func (s *scorer) add(table, group, metric string, j *job, v float64) {
	s.records = append(s.records, Record{Tool: j.tool, Impl: j.impl, Item: j.item.ID, Metric: metric, Value: round(v)})
	r := s.row(table, group, metric)
	s.vals[r][j.impl] = append(s.vals[r][j.impl], v)
}

// finish turns per-file values into means.
func (s *scorer) finish() {
	for _, r := range s.rows {
		for impl, vs := range s.vals[r] {
			if _, set := r.Values[impl]; set {
				continue
			}
			r.Values[impl] = round(metrics.Mean(vs))
			r.N = len(vs)
		}
	}
}

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

func (s *scorer) read(path string) ([]float64, int, error) {
	r, err := wav.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	if r.Channels() != 1 {
		return nil, 0, fmt.Errorf("%s: %d channels", path, r.Channels())
	}
	var pcm []int16
	buf := make([]int16, 8192)
	for {
		n, err := r.Read(buf)
		pcm = append(pcm, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return synth.FromInt16(pcm), r.SampleRate(), nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
}

func (s *scorer) in(p string) string { return filepath.Join(s.corpusDir, p) }

func toBool(l []byte) []bool {
	b := make([]bool, len(l))
	for i, v := range l {
		b[i] = v == 1
	}
	return b
}

// readOutput reads a processed file and checks it is as long as the input.
func (s *scorer) readOutput(j *job, rate, want int) ([]float64, bool) {
	out, r, err := s.read(j.out)
	if err != nil {
		s.fail("%s %s %s: %v", j.impl, j.tool, j.item.ID, err)
		return nil, false
	}
	if r != rate || len(out) < want-rate/100 {
		s.fail("%s %s %s: output %d samples at %d Hz, input %d at %d Hz", j.impl, j.tool, j.item.ID, len(out), r, want, rate)
		return nil, false
	}
	return out, true
}

// Table names.
const (
	tabAEC  = "AEC"
	tabNS   = "NS"
	tabVAD  = "VAD"
	tabAGC  = "AGC"
	tabDTMF = "DTMF"
	tabCPU  = "CPU"
)

// Metric names of the target rows.
const (
	mERLEConv   = "ERLE from 5 s on (dB)"
	mERLEInit   = "ERLE first 2 s (dB)"
	mERLEChange = "ERLE 2 s after the change (dB)"
	mERLEBefore = "ERLE from 5 s to the change (dB)"
	mNearSeg    = "near-end segSNR (dB)"
	mNSImprove  = "segSNR improvement (dB)"
	mF1         = "F1 (precision/recall)"
	mOutLevel   = "output active level (dBov)"
	mSpread     = "spread of output level (dB)"
	mDetected   = "digits detected"
	mTalkOff    = "false detections"
	mCPU        = "CPU s per audio s"
	mCPUNet     = "net of process start"
)

var familyName = map[string]string{
	corpus.AECFarEnd:     "far end only",
	corpus.AECDoubleTalk: "double talk",
	corpus.AECPathChange: "echo-path change",
}

func (s *scorer) aec(j *job) {
	it := j.item
	mic, rate, err := s.read(s.in(it.Mic))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	out, ok := s.readOutput(j, rate, len(mic))
	if !ok {
		return
	}
	n := rate / 100
	labels, err := corpus.ReadLabels(s.in(it.Echo))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	act := toBool(labels)
	fam := familyName[it.Family]
	erle := func(metric string, from, to int) {
		v, err := metrics.ERLE(mic, out, n, act, from, to)
		if err != nil {
			s.fail("%s %s %s: %s: %v", j.impl, j.tool, it.ID, metric, err)
			return
		}
		s.add(tabAEC, fam, metric, j, v)
	}
	switch it.Family {
	case corpus.AECFarEnd:
		erle(mERLEConv, 500, len(act))
		erle(mERLEInit, 0, 200)
	case corpus.AECPathChange:
		c := int(it.ChangeAt * 100)
		erle(mERLEBefore, 500, c)
		erle(mERLEChange, c, c+200)
	case corpus.AECDoubleTalk:
		near, _, err := s.read(s.in(it.Clean))
		if err != nil {
			s.fail("%s: %v", it.ID, err)
			return
		}
		truth, err := corpus.ReadLabels(s.in(it.Truth))
		if err != nil {
			s.fail("%s: %v", it.ID, err)
			return
		}
		nearAct := toBool(truth)
		for b := 0; b < len(nearAct) && b < int(it.NearStart*100); b++ {
			nearAct[b] = false
		}
		erle(mERLEInit, 0, 200)
		lag := metrics.BestLag(near, out, rate/50)
		v, err := metrics.SegSNR(near, metrics.Shift(out, lag), n, nearAct)
		if err != nil {
			s.fail("%s %s %s: segSNR: %v", j.impl, j.tool, it.ID, err)
			return
		}
		s.add(tabAEC, fam, mNearSeg, j, v)
		s.records = append(s.records, Record{Tool: j.tool, Impl: j.impl, Item: it.ID, Metric: "lag_ms", Value: round(float64(lag) * 1000 / float64(rate))})
	}
}

func snrGroup(it *corpus.Item) string { return fmt.Sprintf("%s %2.0f dB", it.Noise, it.SNR) }

func (s *scorer) ns(j *job) {
	it := j.item
	clean, rate, err := s.read(s.in(it.Clean))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	noisy, _, err := s.read(s.in(it.In))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	out, ok := s.readOutput(j, rate, len(noisy))
	if !ok {
		return
	}
	truth, err := corpus.ReadLabels(s.in(it.Truth))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	act := toBool(truth)
	n := rate / 100
	lag := metrics.BestLag(clean, out, rate/25)
	before, err1 := metrics.SegSNR(clean, noisy, n, act)
	after, err2 := metrics.SegSNR(clean, metrics.Shift(out, lag), n, act)
	if err := errors.Join(err1, err2); err != nil {
		s.fail("%s ns %s: %v", j.impl, it.ID, err)
		return
	}
	s.add(tabNS, snrGroup(it), mNSImprove, j, after-before)
}

// vad pools decisions per noise/SNR row (and per SNR over noise types for
// the target), so F1 is over all blocks of the row, not a mean of F1s.
func (s *scorer) vad(j *job, pools map[string]map[string]*metrics.Confusion, order *[]string) {
	it := j.item
	truth, err := corpus.ReadLabels(s.in(it.Truth))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	labels, err := corpus.ReadLabels(j.out)
	if err != nil {
		s.fail("%s vad %s: %v", j.impl, it.ID, err)
		return
	}
	if d := len(labels) - len(truth); d < -1 || d > 1 {
		s.fail("%s vad %s: %d labels for %d blocks", j.impl, it.ID, len(labels), len(truth))
		return
	}
	var c metrics.Confusion
	c.Add(truth, labels)
	s.records = append(s.records, Record{Tool: "vad", Impl: j.impl, Item: it.ID, Metric: "f1", Value: round(c.F1())})
	groups := []string{"clean"}
	if it.Family == corpus.Noisy {
		groups = []string{snrGroup(it), fmt.Sprintf("all noises %2.0f dB", it.SNR)}
	}
	for _, g := range groups {
		if pools[g] == nil {
			pools[g] = map[string]*metrics.Confusion{}
			*order = append(*order, g)
		}
		if pools[g][j.impl] == nil {
			pools[g][j.impl] = &metrics.Confusion{}
		}
		p := pools[g][j.impl]
		p.TP, p.FP, p.FN, p.TN = p.TP+c.TP, p.FP+c.FP, p.FN+c.FN, p.TN+c.TN
	}
}

func (s *scorer) vadRows(pools map[string]map[string]*metrics.Confusion, order []string) {
	sort.SliceStable(order, func(a, b int) bool { return vadRank(order[a]) < vadRank(order[b]) })
	for _, g := range order {
		r := s.row(tabVAD, g, mF1)
		for impl, c := range pools[g] {
			r.Values[impl] = round(c.F1())
			r.Cells[impl] = fmt.Sprintf("%.3f (%.2f/%.2f)", c.F1(), c.Precision(), c.Recall())
			r.N = (c.TP + c.FP + c.FN + c.TN)
		}
	}
}

// vadRank orders VAD rows: clean, then per noise type, then pooled.
func vadRank(g string) int {
	switch {
	case g == "clean":
		return 0
	case strings.HasPrefix(g, "all"):
		return 2
	}
	return 1
}

func (s *scorer) agc(j *job, levels map[string]map[float64][]float64) {
	it := j.item
	x, rate, err := s.read(s.in(it.In))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	out, ok := s.readOutput(j, rate, len(x))
	if !ok {
		return
	}
	truth, err := corpus.ReadLabels(s.in(it.Truth))
	if err != nil {
		s.fail("%s: %v", it.ID, err)
		return
	}
	n := rate / 100
	p := synth.BlockPowers(out, n)
	var sum float64
	var cnt int
	for b, t := range truth {
		if t == 1 && b < len(p) {
			sum += p[b]
			cnt++
		}
	}
	if cnt == 0 {
		s.fail("%s agc %s: no active block", j.impl, it.ID)
		return
	}
	lvl := synth.DBov(sum / float64(cnt))
	s.add(tabAGC, fmt.Sprintf("input %.0f dBov", it.LevelDBov), mOutLevel, j, lvl)
	if levels[j.impl] == nil {
		levels[j.impl] = map[float64][]float64{}
	}
	levels[j.impl][it.LevelDBov] = append(levels[j.impl][it.LevelDBov], lvl)
}

func (s *scorer) agcSpread(levels map[string]map[float64][]float64) {
	r := s.row(tabAGC, "all inputs", mSpread)
	for impl, byLevel := range levels {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range byLevel {
			m := metrics.Mean(v)
			lo, hi = math.Min(lo, m), math.Max(hi, m)
		}
		r.Values[impl] = round(hi - lo)
		r.N = len(byLevel)
	}
}

// parseDTMF reads the dtmf tool's standard output: START DIGIT DURATION.
func parseDTMF(out []byte) ([]metrics.Tone, error) {
	var tones []metrics.Tone
	for i, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || len(f[1]) != 1 {
			return nil, fmt.Errorf("line %d %q: want START DIGIT DURATION", i+1, line)
		}
		st, err1 := strconv.ParseFloat(f[0], 64)
		du, err2 := strconv.ParseFloat(f[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		tones = append(tones, metrics.Tone{Start: st, Digit: f[1], Duration: du})
	}
	return tones, nil
}

// dtmfTotals counts per setting: [hits, sent, extra].
func (s *scorer) dtmf(j *job, totals map[string]*[3]int, order *[]string) {
	it := j.item
	det, err := parseDTMF(j.stdout)
	if err != nil {
		s.fail("%s dtmf %s: %v", j.impl, it.ID, err)
		return
	}
	g := "talk-off: clean speech"
	var hits, extra int
	if it.Family == corpus.DTMF {
		g = fmt.Sprintf("%.0f dBm0, twist %+.0f dB, %.0f ms", it.ToneDBm0, it.Twist, it.Tones[0].Duration*1000)
		hits, extra = metrics.MatchDTMF(it.Tones, det)
	} else {
		extra = len(det)
	}
	s.records = append(s.records,
		Record{Tool: "dtmf", Impl: j.impl, Item: it.ID, Metric: "hits", Value: float64(hits)},
		Record{Tool: "dtmf", Impl: j.impl, Item: it.ID, Metric: "extra", Value: float64(extra)})
	if totals[g] == nil {
		totals[g] = &[3]int{}
		*order = append(*order, g)
	}
	t := totals[g]
	t[0] += hits
	t[1] += len(it.Tones)
	t[2] += extra
}

func (s *scorer) dtmfRows(totals map[string]*[3]int, order []string) {
	sort.SliceStable(order, func(a, b int) bool {
		return strings.HasPrefix(order[b], "talk-off") && !strings.HasPrefix(order[a], "talk-off")
	})
	for _, g := range order {
		t := totals[g]
		if strings.HasPrefix(g, "talk-off") {
			r := s.row(tabDTMF, g, mTalkOff)
			r.Values[implOurs] = float64(t[2])
			r.Cells[implOurs] = strconv.Itoa(t[2])
			continue
		}
		r := s.row(tabDTMF, g, mDetected)
		r.Values[implOurs] = float64(t[0]) / float64(t[1])
		r.Cells[implOurs] = fmt.Sprintf("%d/%d, %d extra", t[0], t[1], t[2])
	}
}
