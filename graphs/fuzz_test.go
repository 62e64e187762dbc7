package graphs_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// checkGraphErr fails unless err is made of *pipeline.Error values that
// name a file and are not internal errors.
func checkGraphErr(t *testing.T, err error) {
	t.Helper()
	var e *pipeline.Error
	var l pipeline.ErrorList
	if !errors.As(err, &e) && !errors.As(err, &l) {
		t.Fatalf("error %T is not a graph error: %v", err, err)
	}
	for _, e := range pipeline.Errors(err) {
		if e == nil || e.Pos.File == "" || e.Msg == "" {
			t.Fatalf("graph error without file or message: %#v", e)
		}
		if strings.Contains(e.Msg, "internal error") {
			t.Fatalf("internal error: %v", e)
		}
	}
}

// Seeds live in testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		spec, err := graphs.ParseLine(text)
		if err != nil {
			checkGraphErr(t, err)
			for _, e := range pipeline.Errors(err) {
				if e.Pos.Line != 1 || e.Pos.Col < 1 || e.Pos.Col > len(text)+1 {
					t.Fatalf("error position %v out of range for %q", e.Pos, text)
				}
			}
			return
		}
		line := graphs.FormatLine(spec)
		back, err := graphs.ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(FormatLine(%q)) = ParseLine(%q): %v", text, line, err)
		}
		want := spec.StripPos()
		want.Vars = nil
		if got := back.StripPos(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %q through %q:\n got %#v\nwant %#v", text, line, got, want)
		}
	})
}

// Seeds live in testdata/fuzz/FuzzParseYAML.
func FuzzParseYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		spec, err := graphs.ParseYAML("f.yaml", []byte(data))
		if err != nil {
			checkGraphErr(t, err)
			return
		}
		if len(spec.Elements) == 0 {
			t.Fatalf("spec without elements from %q", data)
		}
		// Every valid YAML graph has a one-line form.
		line := graphs.FormatLine(spec)
		back, err := graphs.ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(FormatLine) of %q = ParseLine(%q): %v", data, line, err)
		}
		want := spec.StripPos()
		want.Vars = nil
		if got := back.StripPos(); !reflect.DeepEqual(got, want) {
			t.Fatalf("line form %q of %q:\n got %#v\nwant %#v", line, data, got, want)
		}
	})
}
