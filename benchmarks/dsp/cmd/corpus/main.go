// Command corpus generates the DSP benchmark's corpus, the same bytes on
// every run: speech from espeak-ng (fixed texts, voices and languages)
// resampled by sox to 8 and 16 kHz, assembled into talker tracks with
// seeded pauses; AEC scenarios (synthetic room impulse responses, bulk delay
// and echo return loss applied to far-end speech: far end only, double
// talk, echo-path change); speech in white, pink and babble noise at 20, 10,
// 5 and 0 dB SNR with per-10-ms voice activity ground truth from the clean
// speech; speech at several levels for AGC; and DTMF digits at several
// levels, twists and durations. It writes manifest.json beside the files.
//
//	go run ./benchmarks/dsp/cmd/corpus --out DIR [--short] [--cache DIR]
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/corpus"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/synth"
	"github.com/voxgraph/voxgraph/dsp/wav"
)

// voice is one espeak-ng talker: a voice (language plus variant) and the
// sentences it reads.
type voice struct {
	name, espeak, lang string
}

var voices = []voice{
	{"en-us-m", "en-us", "en"},
	{"en-us-f", "en-us+f3", "en"},
	{"en-gb-m", "en-gb", "en"},
	{"en-gb-f", "en-gb-x-rp+f2", "en"},
	{"de-m", "de", "de"},
	{"de-f", "de+f3", "de"},
	{"fr-m", "fr-fr+m3", "fr"},
	{"fr-f", "fr-fr+f2", "fr"},
	{"es-m", "es", "es"},
	{"es-f", "es+f4", "es"},
}

// texts are read in order from a per-track starting sentence. The English
// ones are Harvard sentences (IEEE 1969), the others everyday sentences.
var texts = map[string][]string{
	"en": {
		"The birch canoe slid on the smooth planks.",
		"Glue the sheet to the dark blue background.",
		"It's easy to tell the depth of a well.",
		"These days a chicken leg is a rare dish.",
		"Rice is often served in round bowls.",
		"The juice of lemons makes fine punch.",
		"The box was thrown beside the parked truck.",
		"The hogs were fed chopped corn and garbage.",
	},
	"de": {
		"Der Zug nach Hamburg fährt heute um acht Uhr ab.",
		"Im Sommer gehen wir oft an den See zum Schwimmen.",
		"Die Katze schläft gern auf dem warmen Fensterbrett.",
		"Bitte rufen Sie mich morgen früh noch einmal an.",
		"Das Wetter soll am Wochenende schöner werden.",
		"Mein Bruder arbeitet seit drei Jahren in Berlin.",
	},
	"fr": {
		"Le train pour Lyon part à huit heures du matin.",
		"Nous allons souvent au marché le samedi.",
		"Le chat dort sur le rebord de la fenêtre.",
		"Pouvez-vous me rappeler demain après-midi?",
		"Il fera plus beau à la fin de la semaine.",
		"Ma sœur habite à Paris depuis trois ans.",
	},
	"es": {
		"El tren para Madrid sale a las ocho de la mañana.",
		"Los sábados vamos al mercado con mis padres.",
		"El gato duerme junto a la ventana de la cocina.",
		"Por favor, llámeme mañana por la tarde.",
		"Dicen que el fin de semana hará buen tiempo.",
		"Mi hermano trabaja en Sevilla desde hace tres años.",
	},
}

const (
	speechDBov  = -26.0 // active level of every talker (ITU-T P.56 nominal)
	nearNoiseDB = -70.0 // near-end room noise in the AEC mics, dBov
	truthThresh = 30.0  // ground truth: block within 30 dB of the active level
	truthBridge = 5     // ground truth: fill gaps of up to 50 ms
)

func main() {
	out := flag.String("out", "", "corpus directory to create (required)")
	short := flag.Bool("short", false, "reduced corpus: a few files per family, 8 kHz only")
	cache := flag.String("cache", "", "espeak-ng/sox utterance cache (default OUT/../cache)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: corpus --out DIR [--short] [--cache DIR]")
		os.Exit(2)
	}
	if *cache == "" {
		*cache = filepath.Join(filepath.Dir(filepath.Clean(*out)), "cache")
	}
	g := &gen{dir: *out, cache: *cache, short: *short, utt: map[string][]float64{}}
	if err := g.run(); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

type gen struct {
	dir, cache string
	short      bool
	mu         sync.Mutex
	utt        map[string][]float64 // voice|text|rate → samples
	m          corpus.Manifest
}

func (g *gen) rates() []int {
	if g.short {
		return []int{8000}
	}
	return []int{8000, 16000}
}

func (g *gen) run() error {
	if err := os.RemoveAll(g.dir); err != nil {
		return err
	}
	for _, d := range []string{g.dir, g.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := g.synthesizeAll(); err != nil {
		return err
	}
	g.m.Short = g.short
	for _, rate := range g.rates() {
		for _, step := range []func(int) error{g.speech, g.aec, g.dtmf} {
			if err := step(rate); err != nil {
				return err
			}
		}
	}
	return g.m.Write(g.dir)
}

// synthesizeAll renders every (voice, sentence, rate) once with espeak-ng
// and sox, two at a time, into the cache.
func (g *gen) synthesizeAll() error {
	type job struct {
		v    voice
		text string
		rate int
	}
	var jobs []job
	for _, v := range voices {
		for _, t := range texts[v.lang] {
			for _, r := range g.rates() {
				jobs = append(jobs, job{v, t, r})
			}
		}
	}
	ch := make(chan job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				x, err := g.render(j.v, j.text, j.rate)
				if err != nil {
					errs <- err
					continue
				}
				g.mu.Lock()
				g.utt[key(j.v, j.text, j.rate)] = x
				g.mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	close(errs)
	return <-errs // nil when the channel is empty
}

func key(v voice, text string, rate int) string { return fmt.Sprintf("%s|%s|%d", v.espeak, text, rate) }

// render returns one sentence spoken by v at rate Hz: espeak-ng writes
// 22.05 kHz, sox converts it without dither (so it is repeatable).
func (g *gen) render(v voice, text string, rate int) ([]float64, error) {
	h := sha256.Sum256([]byte(key(v, text, rate)))
	path := filepath.Join(g.cache, fmt.Sprintf("%x.wav", h[:8]))
	if _, err := os.Stat(path); err != nil {
		raw := path + ".22k.wav"
		if b, err := exec.Command("espeak-ng", "-v", v.espeak, "-s", "155", "-w", raw, text).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", v.espeak, err, b)
		}
		tmp := path + ".tmp.wav"
		if b, err := exec.Command("sox", "-D", raw, "-r", fmt.Sprint(rate), "-b", "16", "-c", "1", tmp).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("sox %s: %w: %s", raw, err, b)
		}
		os.Remove(raw)
		if err := os.Rename(tmp, path); err != nil {
			return nil, err
		}
	}
	pcm, r, err := readWAV(path)
	if err != nil {
		return nil, err
	}
	if r != rate {
		return nil, fmt.Errorf("%s: rate %d, want %d", path, r, rate)
	}
	return synth.FromInt16(pcm), nil
}

// track assembles talker v's sentences, from sentence first on, separated
// by seeded pauses of 0.2–1.0 s after a 0.3–0.8 s lead-in, into secs
// seconds at rate Hz, normalised to the nominal active level. A sentence
// that does not fit is left out, so no word is cut.
func (g *gen) track(vi int, rate int, secs float64, first int, seed uint64) []float64 {
	v := voices[vi]
	r := synth.NewRand(seed)
	n := int(secs * float64(rate))
	x := make([]float64, n)
	pos := int((0.3 + 0.5*r.Float64()) * float64(rate))
	ts := texts[v.lang]
	for i := first; ; i++ {
		u := g.utt[key(v, ts[i%len(ts)], rate)]
		if pos+len(u) > n {
			break
		}
		copy(x[pos:], u)
		pos += len(u) + int((0.2+0.8*r.Float64())*float64(rate))
	}
	synth.SetActiveLevel(x, rate, speechDBov)
	return x
}

// babble is the sum of six talkers (not target) at equal level with
// seeded starting sentences, unit power.
func (g *gen) babble(rate int, secs float64, target int, seed uint64) []float64 {
	n := int(secs * float64(rate))
	b := make([]float64, n)
	for k := 0; k < 6; k++ {
		vi := (target + 1 + k*3/2 + k) % len(voices)
		if vi == target {
			vi = (vi + 1) % len(voices)
		}
		synth.Add(b, g.track(vi, rate, secs, k, seed+uint64(k)*7919), 1)
	}
	synth.Scale(b, 1/math.Sqrt(synth.Power(b)))
	return b
}

func (g *gen) add(it corpus.Item) { g.m.Items = append(g.m.Items, it) }

// speech writes the clean talker tracks (VAD reference and DTMF talk-off),
// the noisy versions (NS and VAD) and the level series (AGC).
func (g *gen) speech(rate int) error {
	secs := 12.0
	talkers := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	nsTalkers := []int{0, 1, 3, 4, 7, 8}
	agcTalkers := []int{1, 4}
	agcLevels := []float64{-50, -40, -30, -20}
	if g.short {
		secs, talkers, nsTalkers, agcTalkers = 6, []int{0, 7}, []int{0}, []int{7}
	}
	for _, ti := range talkers {
		v := voices[ti]
		seed := uint64(rate)*1000 + uint64(ti)
		clean := g.track(ti, rate, secs, ti, seed)
		base := fmt.Sprintf("speech/%d/%s", rate, v.name)
		truth := base + ".truth.txt"
		if err := g.writeWAV(base+".wav", rate, clean); err != nil {
			return err
		}
		if err := g.writeLabels((truth), synth.GroundTruth(clean, rate, truthThresh, truthBridge)); err != nil {
			return err
		}
		g.add(corpus.Item{ID: base, Family: corpus.Clean, Rate: rate, Seconds: secs, In: base + ".wav", Clean: base + ".wav", Truth: truth, Talker: v.name})
		if contains(nsTalkers, ti) {
			noises := map[string][]float64{
				"white":  synth.White(synth.NewRand(seed+1), len(clean)),
				"pink":   synth.Pink(synth.NewRand(seed+2), len(clean)),
				"babble": g.babble(rate, secs, ti, seed+3),
			}
			for _, nt := range []string{"white", "pink", "babble"} {
				for _, snr := range []float64{20, 10, 5, 0} {
					name := fmt.Sprintf("noisy/%d/%s-%s-%02.0fdB", rate, v.name, nt, snr)
					if err := g.writeWAV(name+".wav", rate, synth.MixSNR(clean, noises[nt], rate, snr)); err != nil {
						return err
					}
					g.add(corpus.Item{ID: name, Family: corpus.Noisy, Rate: rate, Seconds: secs, In: name + ".wav", Clean: base + ".wav", Truth: truth, Talker: v.name, Noise: nt, SNR: snr})
				}
			}
		}
		if contains(agcTalkers, ti) {
			for _, lvl := range agcLevels {
				x := append([]float64(nil), clean...)
				synth.SetActiveLevel(x, rate, lvl)
				name := fmt.Sprintf("agc/%d/%s-%.0fdBov", rate, v.name, -lvl)
				if err := g.writeWAV(name+".wav", rate, x); err != nil {
					return err
				}
				g.add(corpus.Item{ID: name, Family: corpus.AGC, Rate: rate, Seconds: secs, In: name + ".wav", Clean: base + ".wav", Truth: truth, Talker: v.name, LevelDBov: lvl})
			}
		}
	}
	return nil
}

// aecPath is one echo path: RT60, bulk delay.
type aecPath struct{ rt60, delayMs float64 }

// aec writes the three AEC families. Scenario i spans RT60 100–400 ms, bulk
// delay 10–150 ms and echo return loss 6–20 dB; the far end and the near end
// are talkers of different voices.
func (g *gen) aec(rate int) error {
	rt60s := []float64{0.1, 0.16, 0.22, 0.28, 0.34, 0.4}
	delays := []float64{60, 10, 150, 110, 30, 90}
	erls := []float64{20, 16, 12, 6, 9, 18}
	scen := []int{0, 1, 2, 3, 4, 5}
	secs, change, nearStart := 20.0, 10.0, 6.0
	if g.short {
		scen = []int{0, 2}
		secs, change, nearStart = 10.0, 6.0, 5.0
	}
	for _, fam := range []string{corpus.AECFarEnd, corpus.AECDoubleTalk, corpus.AECPathChange} {
		for _, i := range scen {
			seed := uint64(rate)*7 + uint64(i)*101 + uint64(len(fam))*100003
			far, near := (i*3+1)%len(voices), (i*3+6)%len(voices)
			p1 := aecPath{rt60s[i], delays[i]}
			p2 := aecPath{rt60s[(i+3)%len(rt60s)], delays[(i+2)%len(delays)]}
			farSig := g.track(far, rate, secs, i, seed)
			echo := g.echo(farSig, rate, p1, erls[i], seed+1)
			if fam == corpus.AECPathChange {
				e2 := g.echo(farSig, rate, p2, erls[i], seed+2)
				c := int(change * float64(rate))
				copy(echo[c:], e2[c:])
			}
			mic := append([]float64(nil), echo...)
			synth.Add(mic, synth.Pink(synth.NewRand(seed+3), len(mic)), synth.FullScale*math.Pow(10, nearNoiseDB/20))
			name := fmt.Sprintf("aec/%d/%s-%d", rate, fam, i)
			it := corpus.Item{ID: name, Family: fam, Rate: rate, Seconds: secs, Mic: name + ".mic.wav", Ref: name + ".ref.wav",
				Echo: name + ".echo.txt", Talker: voices[far].name, RT60: p1.rt60, DelayMs: p1.delayMs, ERL: erls[i]}
			if fam == corpus.AECPathChange {
				it.RT60b, it.DelayMsB, it.ChangeAt = p2.rt60, p2.delayMs, change
			}
			var nearSig []float64
			if fam == corpus.AECDoubleTalk {
				nearSig = make([]float64, len(mic))
				ns := int(nearStart * float64(rate))
				copy(nearSig[ns:], g.track(near, rate, secs-nearStart, i+1, seed+4))
				synth.Add(mic, nearSig, 1)
				it.Clean, it.Truth, it.NearTalk, it.NearStart = name+".near.wav", name+".near.txt", voices[near].name, nearStart
				if err := g.writeLabels((it.Truth), synth.GroundTruth(nearSig, rate, truthThresh, truthBridge)); err != nil {
					return err
				}
			}
			if err := g.writeWAV(it.Mic, rate, mic); err != nil {
				return err
			}
			if it.Clean != "" {
				if err := g.writeWAV(it.Clean, rate, nearSig); err != nil {
					return err
				}
			}
			if err := g.writeLabels((it.Echo), synth.GroundTruth(echo, rate, truthThresh, 0)); err != nil {
				return err
			}
			if err := g.writeWAV(it.Ref, rate, farSig); err != nil {
				return err
			}
			g.add(it)
		}
	}
	return nil
}

// echo is far convolved with a synthetic room response behind the bulk
// delay, at erl dB below the far end's active level.
func (g *gen) echo(far []float64, rate int, p aecPath, erl float64, seed uint64) []float64 {
	h := synth.Delay(synth.RIR(synth.NewRand(seed), rate, p.rt60), int(p.delayMs*float64(rate)/1000))
	e := synth.Convolve(far, h)
	synth.SetActiveLevel(e, rate, synth.DBov(synth.ActiveLevel(far, rate))-erl)
	return e
}

// dtmf writes files holding all sixteen digits (in a rotated order) at one
// low-group level, twist and tone duration, 50 ms apart, with −65 dBov white
// noise. Levels keep both tones within −25…−4 dBm0 and twists within
// +4/−8 dB (ITU-T Q.24's acceptance ranges); tones last at least 40 ms.
func (g *gen) dtmf(rate int) error {
	type setting struct{ twist, level, durMs float64 }
	var set []setting
	levels := map[float64][]float64{0: {-4, -14, -24}, 4: {-8, -16, -25}, -8: {-4, -10, -17}}
	for _, tw := range []float64{0, 4, -8} {
		for _, l := range levels[tw] {
			for _, d := range []float64{40, 100} {
				set = append(set, setting{tw, l, d})
			}
		}
	}
	if g.short {
		set = []setting{{0, -14, 40}, {4, -25, 100}, {-8, -4, 40}, {-8, -17, 100}}
	}
	devs := []float64{0, 0.01, -0.01}
	for fi, s := range set {
		dur := int(s.durMs * float64(rate) / 1000)
		gap := rate / 20
		lead := rate / 5
		n := lead*2 + 16*(dur+gap)
		x := make([]float64, n)
		synth.Add(x, synth.White(synth.NewRand(uint64(rate)+uint64(fi)*31), n), synth.FullScale*math.Pow(10, -65.0/20))
		dev := devs[fi%len(devs)]
		var tones []metrics.Tone
		for k := 0; k < 16; k++ {
			d := synth.DTMFDigits[(k+fi)%16]
			start := lead + k*(dur+gap)
			synth.AddDTMF(x, rate, start, dur, d, s.level, s.twist, dev)
			tones = append(tones, metrics.Tone{Start: float64(start) / float64(rate), Digit: string(d), Duration: float64(dur) / float64(rate)})
		}
		name := fmt.Sprintf("dtmf/%d/l%.0f-t%+.0f-%.0fms", rate, -s.level, s.twist, s.durMs)
		if err := g.writeWAV(name+".wav", rate, x); err != nil {
			return err
		}
		g.add(corpus.Item{ID: name, Family: corpus.DTMF, Rate: rate, Seconds: float64(n) / float64(rate), In: name + ".wav",
			ToneDBm0: s.level, Twist: s.twist, FreqDev: dev, Tones: tones})
	}
	return nil
}

func (g *gen) writeWAV(rel string, rate int, x []float64) error {
	path := filepath.Join(g.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	pcm, clipped := synth.ToInt16(x)
	if clipped > 0 {
		return fmt.Errorf("%s: %d samples clipped", rel, clipped)
	}
	return wav.WriteFile(path, rate, 1, pcm)
}

func (g *gen) writeLabels(rel string, labels []byte) error {
	path := filepath.Join(g.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return corpus.WriteLabels(path, labels)
}

func readWAV(path string) ([]int16, int, error) {
	pcm, rate, channels, err := wav.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if channels != 1 {
		return nil, 0, fmt.Errorf("%s: %d channels, want 1", path, channels)
	}
	return pcm, rate, nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
