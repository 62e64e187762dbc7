package pipeline

import (
	"errors"
	"sort"
	"strings"
)

// Error is a problem in a graph description, located at Pos, with an
// optional Hint that says how to fix it.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	s := e.Pos.String() + ": " + e.Msg
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// ErrorList collects several graph errors so that validation reports them
// all at once. It is an error itself; errors.As finds the *Error entries.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap exposes the entries to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Errors flattens err into its graph errors (an *Error, an ErrorList, or
// anything wrapping them). Other errors come back as a single entry without a position.
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return []*Error{{Msg: err.Error()}}
}

// Closest returns the candidates nearest to name by edit distance (ties,
// at most three), for "did you mean" hints. Candidates farther than about a
// third of the name's length are left out.
func Closest(name string, candidates []string) []string {
	type cand struct {
		s string
		d int
	}
	var best []cand
	limit := max(2, len(name)/3+1)
	minD := limit + 1
	for _, c := range candidates {
		d := editDistance(name, c)
		if name != "" && (strings.HasPrefix(c, name) || strings.HasPrefix(name, c)) {
			d = min(d, 2)
		}
		if d > limit {
			continue
		}
		best = append(best, cand{c, d})
		minD = min(minD, d)
	}
	// Keep only the nearest (ties included): one good suggestion beats three guesses.
	var out []string
	for _, c := range best {
		if c.d == minD {
			out = append(out, c.s)
		}
	}
	sort.Strings(out)
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// DidYouMean formats Closest's result as a hint, or "" when nothing is close.
func DidYouMean(name string, candidates []string) string {
	c := Closest(name, candidates)
	if len(c) == 0 {
		return ""
	}
	return "did you mean " + quoteList(c) + "?"
}

func quoteList(c []string) string {
	q := make([]string, len(c))
	for i, s := range c {
		q[i] = `"` + s + `"`
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
