// Command aecscore runs echo cancellers over the AEC items of the DSP
// benchmark corpus (branch dspbench: go run ./benchmarks/dsp/cmd/corpus
// --out DIR) and prints, per item and averaged per family and rate, the
// figures dsp/aec's package doc quotes:
//
//   - aec-farend: ERLE (10·log10 of microphone over output energy, over the
//     10 ms blocks where the echo is active) in the first 2 s and after;
//   - aec-doubletalk: ERLE where the far end talks alone (2 s to the near
//     end's start), and the near end's segmental SNR (mean over the blocks
//     where it talks of 10·log10(Σ near² / Σ (out − near)²), each clamped to
//     [−10, 35] dB) at the output's best lag within 40 ms, so that a
//     canceller's latency is not counted as distortion;
//   - aec-pathchange: ERLE in the first and second second after the change
//     and after that;
//   - CPU (user + system) per audio second, process start-up included.
//
// Each canceller is a command taking aec --mic M.wav --ref R.wav --out
// O.wav: voxgraph's (as "dsp aec"), and the benchmark's speex_ref and
// webrtc_ref.
//
//	go run ./dsp/aec/internal/aecscore --corpus DIR --voxgraph BIN [--speex BIN] [--webrtc BIN] [-- extra voxgraph flags]
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type item struct {
	ID        string  `json:"id"`
	Family    string  `json:"family"`
	Rate      int     `json:"rate"`
	Seconds   float64 `json:"seconds"`
	Mic       string  `json:"mic"`
	Ref       string  `json:"ref"`
	Echo      string  `json:"echo"`
	Clean     string  `json:"clean"`
	Truth     string  `json:"truth"`
	NearStart float64 `json:"near_start_s"`
	ChangeAt  float64 `json:"change_at_s"`
}

type canceller struct {
	name string
	cmd  []string
	cpu  float64
	secs float64
}

func main() {
	corpus := flag.String("corpus", "", "corpus directory (with manifest.json)")
	vox := flag.String("voxgraph", "", "voxgraph binary")
	speex := flag.String("speex", "", "speex_ref binary (optional)")
	webrtc := flag.String("webrtc", "", "webrtc_ref binary (optional)")
	flag.Parse()
	if *corpus == "" || *vox == "" {
		fmt.Fprintln(os.Stderr, "usage: aecscore --corpus DIR --voxgraph BIN [--speex BIN] [--webrtc BIN] [-- voxgraph dsp aec flags]")
		os.Exit(2)
	}
	if err := run(*corpus, *vox, *speex, *webrtc, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "aecscore:", err)
		os.Exit(1)
	}
}

func run(dir, vox, speex, webrtc string, extra []string) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	var m struct{ Items []item }
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	cs := []*canceller{{name: "voxgraph", cmd: append([]string{vox, "dsp", "aec"}, extra...)}}
	if speex != "" {
		cs = append(cs, &canceller{name: "speex", cmd: []string{speex, "aec"}})
	}
	if webrtc != "" {
		cs = append(cs, &canceller{name: "webrtc", cmd: []string{webrtc, "aec"}})
	}
	tmp, err := os.MkdirTemp("", "aecscore")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sums := map[string][]float64{} // family/rate/canceller -> column sums
	counts := map[string]int{}
	var keys []string
	for _, it := range m.Items {
		if !strings.HasPrefix(it.Family, "aec") {
			continue
		}
		mic, err := readWav(filepath.Join(dir, it.Mic))
		if err != nil {
			return err
		}
		echo, err := labels(filepath.Join(dir, it.Echo))
		if err != nil {
			return err
		}
		n := it.Rate / 100
		line := fmt.Sprintf("%-28s", it.ID)
		for _, c := range cs {
			out := filepath.Join(tmp, c.name+".wav")
			args := append(append([]string{}, c.cmd[1:]...), "--mic", filepath.Join(dir, it.Mic), "--ref", filepath.Join(dir, it.Ref), "--out", out)
			cmd := exec.Command(c.cmd[0], args...)
			if o, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s on %s: %v: %s", c.name, it.ID, err, o)
			}
			c.cpu += cmd.ProcessState.UserTime().Seconds() + cmd.ProcessState.SystemTime().Seconds()
			c.secs += it.Seconds
			y, err := readWav(out)
			if err != nil {
				return err
			}
			var cols []float64
			switch it.Family {
			case "aec-farend":
				cols = []float64{erle(mic, y, n, echo, 0, 2), erle(mic, y, n, echo, 2, it.Seconds)}
			case "aec-doubletalk":
				near, err := readWav(filepath.Join(dir, it.Clean))
				if err != nil {
					return err
				}
				nt, err := labels(filepath.Join(dir, it.Truth))
				if err != nil {
					return err
				}
				best := math.Inf(-1)
				for lag := 0; lag <= it.Rate/25 && lag < len(y); lag += it.Rate / 1000 {
					best = math.Max(best, segSNR(near, y[lag:], n, nt))
				}
				cols = []float64{erle(mic, y, n, echo, 2, it.NearStart), best}
			case "aec-pathchange":
				c0 := it.ChangeAt
				cols = []float64{erle(mic, y, n, echo, c0, c0+1), erle(mic, y, n, echo, c0+1, c0+2), erle(mic, y, n, echo, c0+2, it.Seconds)}
			}
			line += " | " + c.name
			for _, v := range cols {
				line += fmt.Sprintf(" %5.1f", v)
			}
			k := fmt.Sprintf("%s/%d/%s", it.Family, it.Rate, c.name)
			if _, ok := sums[k]; !ok {
				sums[k] = make([]float64, len(cols))
				keys = append(keys, k)
			}
			for i, v := range cols {
				sums[k][i] += v
			}
			counts[k]++
		}
		fmt.Println(line)
	}
	fmt.Println("\nmeans (farend: ERLE first 2 s, after; doubletalk: ERLE far end alone, near-end segmental SNR; pathchange: ERLE 0-1 s, 1-2 s, after)")
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%-32s", k)
		for _, v := range sums[k] {
			fmt.Printf(" %5.1f", v/float64(counts[k]))
		}
		fmt.Println()
	}
	for _, c := range cs {
		fmt.Printf("%s: %.5f CPU s per audio s (user+system, process start-up included)\n", c.name, c.cpu/c.secs)
	}
	return nil
}

// readWav reads the samples of a 16-bit mono WAV file.
func readWav(p string) ([]float64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	for i := 12; i+8 <= len(b); {
		cs := int(binary.LittleEndian.Uint32(b[i+4:]))
		if string(b[i:i+4]) == "data" {
			d := b[i+8 : min(len(b), i+8+cs)]
			x := make([]float64, len(d)/2)
			for k := range x {
				x[k] = float64(int16(binary.LittleEndian.Uint16(d[2*k:])))
			}
			return x, nil
		}
		i += 8 + cs + cs&1
	}
	return nil, errors.New(p + ": no data chunk")
}

// labels reads one 0/1 label per line.
func labels(p string) ([]bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var l []bool
	s := bufio.NewScanner(f)
	for s.Scan() {
		l = append(l, strings.TrimSpace(s.Text()) == "1")
	}
	return l, s.Err()
}

// erle is 10·log10 of mic over out energy in the active blocks between
// from and to seconds.
func erle(mic, out []float64, n int, act []bool, from, to float64) float64 {
	var em, eo float64
	for b := int(from * 100); b < int(to*100) && b < len(act) && (b+1)*n <= min(len(out), len(mic)); b++ {
		if !act[b] {
			continue
		}
		for i := b * n; i < (b+1)*n; i++ {
			em += mic[i] * mic[i]
			eo += out[i] * out[i]
		}
	}
	return 10 * math.Log10((em+1)/(eo+1))
}

// segSNR is the mean over the active blocks of out's SNR against ref,
// each clamped to [-10, 35] dB.
func segSNR(ref, out []float64, n int, act []bool) float64 {
	var sum float64
	var cnt int
	for b := 0; b < len(act) && (b+1)*n <= min(len(out), len(ref)); b++ {
		if !act[b] {
			continue
		}
		var ps, pe float64
		for i := b * n; i < (b+1)*n; i++ {
			ps += ref[i] * ref[i]
			d := out[i] - ref[i]
			pe += d * d
		}
		s := 35.0
		if pe > 0 {
			s = math.Min(35, math.Max(-10, 10*math.Log10(ps/pe)))
		}
		sum += s
		cnt++
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / float64(cnt)
}
