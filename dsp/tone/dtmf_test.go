package tone

import (
	"sort"
	"testing"
)

func TestDTMFTable(t *testing.T) {
	tests := []struct {
		digit     rune
		low, high float64
		ok        bool
	}{
		{'1', 697, 1209, true}, {'2', 697, 1336, true}, {'3', 697, 1477, true}, {'A', 697, 1633, true},
		{'4', 770, 1209, true}, {'5', 770, 1336, true}, {'6', 770, 1477, true}, {'B', 770, 1633, true},
		{'7', 852, 1209, true}, {'8', 852, 1336, true}, {'9', 852, 1477, true}, {'C', 852, 1633, true},
		{'*', 941, 1209, true}, {'0', 941, 1336, true}, {'#', 941, 1477, true}, {'D', 941, 1633, true},
		{'a', 697, 1633, true}, {'d', 941, 1633, true},
		{'E', 0, 0, false}, {'e', 0, 0, false}, {' ', 0, 0, false}, {'+', 0, 0, false}, {'١', 0, 0, false},
	}
	for _, tt := range tests {
		low, high, ok := DTMF(tt.digit)
		if low != tt.low || high != tt.high || ok != tt.ok {
			t.Errorf("DTMF(%q) = %v, %v, %v; want %v, %v, %v", tt.digit, low, high, ok, tt.low, tt.high, tt.ok)
		}
	}
}

// TestDTMFDetect generates every digit and checks that the two strongest
// of the eight DTMF frequencies are the digit's.
func TestDTMFDetect(t *testing.T) {
	all := []float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
	for _, d := range "0123456789*#ABCD" {
		low, high, _ := DTMF(d)
		x := make([]int16, 8000*50/1000) // a 50 ms tone, the Q.24 minimum
		NewGenerator(8000, []float64{low, high}, 8000).Fill(x)
		byPower := append([]float64(nil), all...)
		sort.Slice(byPower, func(i, j int) bool {
			return Power(x, 8000, byPower[i]) > Power(x, 8000, byPower[j])
		})
		top := []float64{min(byPower[0], byPower[1]), max(byPower[0], byPower[1])}
		if top[0] != low || top[1] != high {
			t.Errorf("digit %c: strongest %v, want %v %v", d, top, low, high)
		}
	}
}
