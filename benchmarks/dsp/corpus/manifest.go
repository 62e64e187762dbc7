// Package corpus describes the DSP benchmark's generated corpus: the
// manifest written by cmd/corpus and read by cmd/score, so that the scorer
// knows for each file what was put in it (echo path, SNR, ground truth,
// DTMF digits) without guessing from names.
package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
)

// Families of corpus items.
const (
	AECFarEnd     = "aec-farend"     // far end only: echo plus a little near-end noise
	AECDoubleTalk = "aec-doubletalk" // near-end speech overlapping the far end
	AECPathChange = "aec-pathchange" // the echo path (RIR and delay) switches mid-file
	Noisy         = "noisy"          // speech plus noise at an SNR: NS and VAD
	Clean         = "clean"          // clean speech: VAD reference row and DTMF talk-off
	AGC           = "agc"            // clean speech at an input level
	DTMF          = "dtmf"           // all sixteen digits at a level, twist and duration
)

// Manifest lists every generated item.
type Manifest struct {
	Short bool   `json:"short"`
	Items []Item `json:"items"`
}

// Item is one test case. Paths are relative to the corpus directory; fields
// that do not apply to the family are zero.
type Item struct {
	ID      string  `json:"id"`
	Family  string  `json:"family"`
	Rate    int     `json:"rate"`
	Seconds float64 `json:"seconds"`

	In    string `json:"in,omitempty"`    // NS/VAD/AGC/DTMF input
	Mic   string `json:"mic,omitempty"`   // AEC microphone
	Ref   string `json:"ref,omitempty"`   // AEC far end (loudspeaker)
	Clean string `json:"clean,omitempty"` // clean speech (NS) or clean near end (double talk)
	Truth string `json:"truth,omitempty"` // 0/1 per 10 ms: clean speech (or near end) active
	Echo  string `json:"echo,omitempty"`  // 0/1 per 10 ms: echo active (AEC)

	Talker    string  `json:"talker,omitempty"`
	NearTalk  string  `json:"near_talker,omitempty"`
	Noise     string  `json:"noise,omitempty"` // white, pink, babble
	SNR       float64 `json:"snr_db,omitempty"`
	LevelDBov float64 `json:"level_dbov,omitempty"`

	RT60      float64 `json:"rt60_s,omitempty"`
	DelayMs   float64 `json:"delay_ms,omitempty"`
	ERL       float64 `json:"erl_db,omitempty"`
	RT60b     float64 `json:"rt60b_s,omitempty"` // path after the change
	DelayMsB  float64 `json:"delayb_ms,omitempty"`
	ChangeAt  float64 `json:"change_at_s,omitempty"`
	NearStart float64 `json:"near_start_s,omitempty"`

	ToneDBm0 float64        `json:"tone_dbm0,omitempty"` // low-group level
	Twist    float64        `json:"twist_db,omitempty"`  // high minus low group
	FreqDev  float64        `json:"freq_dev,omitempty"`  // relative frequency offset
	Tones    []metrics.Tone `json:"tones,omitempty"`
}

// Read loads the manifest in dir.
func Read(dir string) (*Manifest, error) {
	b, err := os.ReadFile(dir + "/manifest.json")
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("corpus: manifest: %w", err)
	}
	return &m, nil
}

// Write stores the manifest in dir.
func (m *Manifest) Write(dir string) error {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("corpus: manifest: %w", err)
	}
	return os.WriteFile(dir+"/manifest.json", append(b, '\n'), 0o644)
}

// WriteLabels writes one 0/1 line per block.
func WriteLabels(path string, labels []byte) error {
	var sb strings.Builder
	for _, l := range labels {
		sb.WriteByte('0' + l)
		sb.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// ReadLabels reads a file of one 0/1 line per block (the vad tools'
// output format); blank lines are skipped and anything else is an error.
func ReadLabels(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []byte
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		switch s := strings.TrimSpace(sc.Text()); s {
		case "":
		case "0", "1":
			out = append(out, s[0]-'0')
		default:
			return nil, fmt.Errorf("%s:%d: label %q is not 0 or 1", path, line, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
