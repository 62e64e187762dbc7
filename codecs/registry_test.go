package codecs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
)

func TestDefaultRegistry(t *testing.T) {
	if got, want := Default.Names(), []string{"L16", "PCMA", "PCMU"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	tests := []struct {
		lookup   string
		name     string
		pt       uint8
		dynamic  bool
		rate, ch int
	}{
		{"PCMU", "PCMU", 0, false, 8000, 1},
		{"pcmu", "PCMU", 0, false, 8000, 1},
		{"PcMa", "PCMA", 8, false, 8000, 1},
		{"l16", "L16", 96, true, 8000, 1},
	}
	for _, tt := range tests {
		f, ok := Default.Lookup(tt.lookup)
		if !ok {
			t.Errorf("Lookup(%q) not found", tt.lookup)
			continue
		}
		c := f.Codec
		if c.Name != tt.name || c.PayloadType != tt.pt || c.Dynamic != tt.dynamic ||
			c.ClockRate != tt.rate || c.SampleRate != tt.rate || c.Channels != tt.ch {
			t.Errorf("Lookup(%q) = %+v", tt.lookup, c)
		}
	}
	if _, ok := Default.Lookup("opus"); ok {
		t.Error("Lookup(opus) found")
	}
}

func TestByPayloadType(t *testing.T) {
	tests := []struct {
		pt   uint8
		name string // "" = not found
	}{
		{0, "PCMU"},
		{8, "PCMA"},
		{96, ""}, // L16's PT is dynamic
		{9, ""},
		{127, ""},
	}
	for _, tt := range tests {
		f, ok := Default.ByPayloadType(tt.pt)
		switch {
		case tt.name == "" && ok:
			t.Errorf("ByPayloadType(%d) = %s, want none", tt.pt, f.Name)
		case tt.name != "" && (!ok || f.Name != tt.name):
			t.Errorf("ByPayloadType(%d) = %v, %v; want %s", tt.pt, f, ok, tt.name)
		}
	}
}

func testFactory(name string, pt uint8, dynamic bool) Factory {
	f := PCMUFactory()
	f.Name, f.PayloadType, f.Dynamic = name, pt, dynamic
	return f
}

func TestRegister(t *testing.T) {
	mutate := func(m func(*Factory)) Factory {
		f := testFactory("X", 100, true)
		m(&f)
		return f
	}
	tests := []struct {
		name string
		f    Factory
		want error
	}{
		{"ok dynamic", testFactory("opus", 111, true), nil},
		{"ok static", testFactory("G722", 9, false), nil},
		{"duplicate name", testFactory("pcmu", 112, true), ErrDuplicate},
		{"duplicate static pt", testFactory("other", 0, false), ErrDuplicate},
		{"dynamic pt may repeat", testFactory("other2", 111, true), nil},
		{"empty name", mutate(func(f *Factory) { f.Name = "" }), ErrBadCodec},
		{"name with slash", mutate(func(f *Factory) { f.Name = "L16/8000" }), ErrBadCodec},
		{"no clock rate", mutate(func(f *Factory) { f.ClockRate = 0 }), ErrBadCodec},
		{"no sample rate", mutate(func(f *Factory) { f.SampleRate = 0 }), ErrBadCodec},
		{"no channels", mutate(func(f *Factory) { f.Channels = 0 }), ErrBadCodec},
		{"nil encoder", mutate(func(f *Factory) { f.NewEncoder = nil }), ErrBadCodec},
		{"nil decoder", mutate(func(f *Factory) { f.NewDecoder = nil }), ErrBadCodec},
		{"dynamic pt too low", testFactory("Y", 95, true), ErrBadCodec},
		{"dynamic pt too high", testFactory("Y", 128, true), ErrBadCodec},
		{"static pt too high", testFactory("Y", 96, false), ErrBadCodec},
	}
	r := NewRegistry()
	if err := r.Register(PCMUFactory()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Register(tt.f)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Register = %v, want %v", err, tt.want)
			}
		})
	}
	if got, want := r.Names(), []string{"G722", "PCMU", "opus", "other2"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if f, ok := r.ByPayloadType(9); !ok || f.Name != "G722" {
		t.Errorf("ByPayloadType(9) = %v, %v", f, ok)
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(PCMUFactory()); err != nil {
		t.Fatal(err)
	}
	f, _ := r.Lookup("PCMU")
	f.ClockRate = 1
	if g, _ := r.Lookup("PCMU"); g.ClockRate != 8000 {
		t.Errorf("registry mutated through Lookup result: %d", g.ClockRate)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				name := fmt.Sprintf("c%d_%d", i, j)
				if err := r.Register(testFactory(name, 100, true)); err != nil {
					t.Error(err)
				}
				if _, ok := r.Lookup(name); !ok {
					t.Errorf("Lookup(%s) not found", name)
				}
				r.Names()
				r.ByPayloadType(0)
			}
		}()
	}
	wg.Wait()
	if n := len(r.Names()); n != 160 {
		t.Errorf("%d names, want 160", n)
	}
}

// TestFactoriesRoundTrip runs every default codec through its factory.
func TestFactoriesRoundTrip(t *testing.T) {
	for _, name := range Default.Names() {
		t.Run(name, func(t *testing.T) {
			f, _ := Default.Lookup(name)
			enc, err := f.NewEncoder(nil)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := f.NewDecoder(nil)
			if err != nil {
				t.Fatal(err)
			}
			pcm := frame160()
			payload := make([]byte, enc.MaxEncodedLen(len(pcm)))
			n, err := enc.Encode(payload, pcm)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]int16, dec.MaxDecodedLen(n))
			m, err := dec.Decode(out, payload[:n])
			if err != nil || m != len(pcm) {
				t.Fatalf("Decode = %d, %v", m, err)
			}
			for i := range pcm {
				if e := abs(int(out[i]) - int(pcm[i])); e > max(32, abs(int(pcm[i]))/16) {
					t.Errorf("sample %d: %d -> %d", i, pcm[i], out[i])
				}
			}
		})
	}
}

// TestTypedNilInterface: a failing typed constructor gives a nil
// interface, not a nil pointer wrapped in one.
func TestTypedNilInterface(t *testing.T) {
	fail := errors.New("no")
	f := Typed(Codec{Name: "X"},
		func(Params) (*L16Encoder, error) { return nil, fail },
		func(Params) (*L16Decoder, error) { return nil, fail })
	if e, err := f.NewEncoder(nil); e != nil || !errors.Is(err, fail) {
		t.Fatalf("encoder %v (nil interface: %v), %v", e, e == nil, err)
	}
	if d, err := f.NewDecoder(nil); d != nil || !errors.Is(err, fail) {
		t.Fatalf("decoder %v, %v", d, err)
	}
}

func TestCodecString(t *testing.T) {
	for _, tc := range []struct {
		c    Codec
		want string
	}{
		{Codec{Name: "PCMU", ClockRate: 8000, Channels: 1}, "PCMU/8000 pt=0"},
		{Codec{Name: "L16", PayloadType: 10, ClockRate: 44100, Channels: 2}, "L16/44100/2 pt=10"},
		{Codec{Name: "opus", PayloadType: 111, ClockRate: 48000, Channels: 1, SDPChannels: 2}, "opus/48000/2 pt=111"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestParseFmtp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Params
	}{
		{"", nil},
		{" ; ", nil},
		{"minptime=10;useinbandfec=1", Params{"minptime": "10", "useinbandfec": "1"}},
		{" maxaveragebitrate = 20000 ; Stereo=1;sprop-stereo", Params{"maxaveragebitrate": "20000", "stereo": "1", "sprop-stereo": ""}},
		{"annexb=no", Params{"annexb": "no"}},
	} {
		if got := ParseFmtp(tc.in); !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("ParseFmtp(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if back := ParseFmtp(tc.want.Fmtp()); !maps.Equal(back, tc.want) {
			t.Errorf("ParseFmtp(%q.Fmtp() = %q) = %v", tc.want, tc.want.Fmtp(), back)
		}
	}
}
