package graphs

import (
	"fmt"
	"sort"

	"github.com/voxgraph/voxgraph/pipeline"
)

// nameHint explains the identifier syntax shared by element names, types,
// property keys and port names.
const nameHint = "start with a letter or _, then use only letters, digits, _ and -"

// validName reports whether s matches [A-Za-z_][A-Za-z0-9_-]*, the syntax of
// element names, element types, property keys and port names.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c == '-' || c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return true
}

// errorSet collects graph errors in the order they are found.
type errorSet struct {
	list pipeline.ErrorList
}

func (s *errorSet) add(pos pipeline.Pos, hint, format string, args ...any) {
	s.list = append(s.list, &pipeline.Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// err returns nil, the single *pipeline.Error, or the whole pipeline.ErrorList
// sorted by position.
func (s *errorSet) err() error {
	sort.SliceStable(s.list, func(i, j int) bool {
		a, b := s.list[i].Pos, s.list[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	switch len(s.list) {
	case 0:
		return nil
	case 1:
		return s.list[0]
	}
	return s.list
}
