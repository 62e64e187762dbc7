package tone

// DTMF returns the low- and high-group frequencies of a DTMF digit per
// ITU-T Q.23 ('0'-'9', '*', '#', 'A'-'D'; 'a'-'d' are accepted too). ok is
// false for any other rune. Generate the tone with
// NewGenerator(rate, []float64{low, high}, amplitude).
func DTMF(digit rune) (low, high float64, ok bool) {
	var row, col int
	switch digit {
	case '1', '2', '3', 'A', 'a':
		row = 0
	case '4', '5', '6', 'B', 'b':
		row = 1
	case '7', '8', '9', 'C', 'c':
		row = 2
	case '*', '0', '#', 'D', 'd':
		row = 3
	default:
		return 0, 0, false
	}
	switch digit {
	case '1', '4', '7', '*':
		col = 0
	case '2', '5', '8', '0':
		col = 1
	case '3', '6', '9', '#':
		col = 2
	default: // A-D
		col = 3
	}
	rows := [4]float64{697, 770, 852, 941}     // low group, Hz
	cols := [4]float64{1209, 1336, 1477, 1633} // high group, Hz
	return rows[row], cols[col], true
}
