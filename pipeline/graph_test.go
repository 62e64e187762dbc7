package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/pipeline"
)

// el declares an element "name:type k=v k=v".
func el(decl string) pipeline.ElementSpec {
	fields := strings.Fields(decl)
	nt := strings.SplitN(fields[0], ":", 2)
	es := pipeline.ElementSpec{Name: nt[0], Type: nt[1], Pos: pipeline.Pos{File: "t.yaml", Line: 1, Col: 1}}
	for _, kv := range fields[1:] {
		k, v, _ := strings.Cut(kv, "=")
		es.Props = append(es.Props, pipeline.PropSpec{Key: k, Value: v, Pos: pipeline.Pos{File: "t.yaml", Line: 2, Col: 3}, VPos: pipeline.Pos{File: "t.yaml", Line: 2, Col: 9}})
	}
	return es
}

// ln declares a link "a.port -> b.port".
func ln(s string) pipeline.LinkSpec {
	a, b, _ := strings.Cut(s, " -> ")
	l := pipeline.LinkSpec{Pos: pipeline.Pos{File: "t.yaml", Line: 9, Col: 5}}
	l.From, l.FromPort, _ = strings.Cut(a, ".")
	l.To, l.ToPort, _ = strings.Cut(b, ".")
	return l
}

func spec(elems []string, links ...string) *pipeline.Spec {
	s := &pipeline.Spec{Name: "test"}
	for _, e := range elems {
		s.Elements = append(s.Elements, el(e))
	}
	for _, l := range links {
		s.Links = append(s.Links, ln(l))
	}
	return s
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		spec *pipeline.Spec
		want []string
	}{
		{"unknown element", spec([]string{"a:seq-srcc", "b:seq-sink"}, "a -> b"),
			[]string{`t.yaml:1:1: unknown element type "seq-srcc" for "a"`, `did you mean "seq-src"`}},
		{"unknown property", spec([]string{"a:seq-src cout=3", "b:seq-sink"}, "a -> b"),
			[]string{`t.yaml:2:3: unknown property "cout" for element "a" (type seq-src)`, `did you mean "count"`}},
		{"wrong property type", spec([]string{"a:seq-src count=many", "b:seq-sink"}, "a -> b"),
			[]string{`t.yaml:2:9: property count of "a" (int): "many" is not an integer`}},
		{"missing port", spec([]string{"a:seq-src", "b:seq-sink"}, "a.src -> b"),
			[]string{`t.yaml:9:5: link a.src -> b: "a" (seq-src) has no output port "src"`, "seq-src output ports: out"}},
		{"missing element in link", spec([]string{"a:seq-src", "b:seq-sink"}, "a -> c"),
			[]string{`link a -> c: no element named "c"`}},
		{"format mismatch", spec([]string{"a:enc-src", "b:pass", "c:seq-sink"}, "a -> b", "b -> c"),
			[]string{`cannot link a.out to b.in: pass (port in) wants PCM audio, gets PCMU/8000 pt=0 20ms`, "insert decode between a and b"}},
		{"cycle", spec([]string{"a:seq-src", "m:sum", "p:pass", "q:fanout", "s:seq-sink"}, "a -> m", "m -> p", "p -> q", "q -> m", "q -> s"),
			[]string{"links form a cycle: m -> p -> q -> m"}},
		{"dangling input", spec([]string{"a:seq-src", "b:pass", "c:seq-sink"}, "a -> c"),
			[]string{`element "b" (pass): input port "in" is not linked`, "link something to b.in"}},
		{"port linked twice", spec([]string{"a:seq-src", "b:seq-sink", "c:seq-sink"}, "a.out -> b", "a.out -> c"),
			[]string{"a.out is already linked"}},
		{"no free port", spec([]string{"a:seq-src", "b:pass", "c:seq-sink"}, "a -> b", "a -> c", "b -> c"),
			[]string{`"a" (seq-src) has no free output port`}},
		{"duplicate name", spec([]string{"a:seq-src", "a:seq-sink"}),
			[]string{`element name "a" is used twice`}},
		{"negotiate error", spec([]string{"a:seq-src count=-1", "b:seq-sink"}, "a -> b"),
			[]string{`element "a" (seq-src): count must be >= 0`}},
		{"empty", &pipeline.Spec{Name: "x"}, []string{"graph has no elements"}},
		{"self link", spec([]string{"a:seq-src", "p:pass", "b:seq-sink"}, "a -> p", "p -> p", "p -> b"),
			[]string{"cannot link to itself"}},
		{"bad name", spec([]string{"1a:seq-src"}), []string{`bad element name "1a"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pipeline.Build(tc.spec, pipeline.WithRegistry(testRegistry()))
			if err == nil {
				t.Fatal("Build succeeded; want error")
			}
			var gerr *pipeline.Error
			if !errors.As(err, &gerr) {
				t.Errorf("error %T is not a *pipeline.Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestBuildCollectsAllErrors(t *testing.T) {
	_, err := pipeline.Build(spec([]string{"a:seq-src cout=1", "b:seq-snk"}, "a -> b"), pipeline.WithRegistry(testRegistry()))
	if n := len(pipeline.Errors(err)); n != 2 {
		t.Fatalf("got %d errors, want 2:\n%v", n, err)
	}
}

func TestRunToEndOfStream(t *testing.T) {
	g, err := pipeline.Build(spec([]string{"a:seq-src count=50", "p:pass", "b:seq-sink"}, "a -> p", "p -> b"), pipeline.WithRegistry(testRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, _ := g.Element("b")
	sink := e.(*seqSink)
	if sink.got.Load() != 50 || sink.gaps.Load() != 0 || !sink.eos.Load() {
		t.Fatalf("sink got %d frames, %d gaps, eos=%v; want 50, 0, true", sink.got.Load(), sink.gaps.Load(), sink.eos.Load())
	}
	st := g.Stats()
	if st[1].Name != "p" || st[1].In != 50 || st[1].Out != 50 || st[1].Calls != 50 {
		t.Fatalf("pass stats = %+v", st[1])
	}
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed after Run")
	}
}

func TestDroppedCounted(t *testing.T) {
	g, err := pipeline.Build(spec([]string{"a:seq-src count=7", "d:drop count=true"}, "a -> d"), pipeline.WithRegistry(testRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := g.Stats()[1].Dropped; d != 7 {
		t.Fatalf("dropped = %d, want 7", d)
	}
}

func TestPanickingElementFailsOnlyItsGraph(t *testing.T) {
	r := testRegistry()
	bad, err := pipeline.Build(spec([]string{"a:seq-src count=0", "x:boom", "b:seq-sink"}, "a -> x", "x -> b"), pipeline.WithRegistry(r))
	if err != nil {
		t.Fatal(err)
	}
	good, err := pipeline.Build(spec([]string{"a:seq-src count=0 live=true", "b:seq-sink"}, "a -> b"), pipeline.WithRegistry(r), pipeline.WithPTime(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s := pipeline.NewScheduler(pipeline.WithPeriod(time.Millisecond), pipeline.WithWorkers(2))
	for _, g := range []*pipeline.Graph{bad, good} {
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.Add(g)
	}
	s.Start()
	defer s.Close()
	select {
	case <-bad.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("panicking graph did not finish")
	}
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "x (boom) panicked") {
		t.Fatalf("bad graph error = %v", err)
	}
	e, _ := good.Element("b")
	sink := e.(*seqSink)
	before := sink.got.Load()
	deadline := time.Now().Add(5 * time.Second)
	for sink.got.Load() < before+20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sink.got.Load() < before+20 {
		t.Fatal("healthy graph stopped receiving frames after the other graph panicked")
	}
	_ = good.Stop()
	_ = bad.Stop()
}

// TestAttachDetachUnderLoad adds and removes branches 1,000 times on a running
// graph: tee-style (a new request output of fanout) and mixer-style (a new
// request input of sum). The main branch must not lose a single frame.
func TestAttachDetachUnderLoad(t *testing.T) {
	r := testRegistry()
	g, err := pipeline.Build(spec([]string{"src:seq-src count=0 live=true", "t:fanout", "main:seq-sink", "m:sum", "mout:drop"},
		"src -> t", "t -> main", "m -> mout"), pipeline.WithRegistry(r), pipeline.WithPTime(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := pipeline.NewScheduler(pipeline.WithPeriod(time.Millisecond), pipeline.WithWorkers(1))
	s.Add(g)
	s.Start()
	defer s.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	var loopErr error
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			b := fmt.Sprintf("b%d", i%3)
			frag := spec([]string{b + "_src:seq-src count=0", b + "_p:pass", b + "_tap:pass", b + "_tapsink:seq-sink"},
				b+"_src -> "+b+"_p", b+"_p -> m", // mixer-style: new request input on m
				"t -> "+b+"_tap", b+"_tap -> "+b+"_tapsink") // tee-style: new request output on t
			if err := g.Attach(frag); err != nil {
				loopErr = fmt.Errorf("attach %d: %w", i, err)
				return
			}
			if i%7 == 0 {
				time.Sleep(time.Millisecond) // let a tick run with the branch attached
			}
			if err := g.Detach(b+"_src", b+"_p", b+"_tap", b+"_tapsink"); err != nil {
				loopErr = fmt.Errorf("detach %d: %w", i, err)
				return
			}
		}
	}()
	wg.Wait()
	if loopErr != nil {
		t.Fatal(loopErr)
	}
	time.Sleep(20 * time.Millisecond)
	_ = g.Stop()
	e, _ := g.Element("main")
	main := e.(*seqSink)
	srcStats := g.Stats()[0]
	if main.gaps.Load() != 0 {
		t.Fatalf("main branch saw %d gaps", main.gaps.Load())
	}
	if got, sent := uint64(main.got.Load()), srcStats.Out; got != sent || sent == 0 {
		t.Fatalf("main branch received %d of %d frames", got, sent)
	}
	me, _ := g.Element("m")
	if n := me.(*sum).active.Load(); n != 0 {
		t.Fatalf("mixer has %d inputs left after detaching all", n)
	}
	if n := len(g.Nodes()); n != 5 {
		t.Fatalf("graph has %d elements after detach, want 5", n)
	}
}

func TestAttachFailureLeavesGraphUnchanged(t *testing.T) {
	r := testRegistry()
	g, err := pipeline.Build(spec([]string{"src:seq-src count=0", "t:fanout", "main:seq-sink"}, "src -> t", "t -> main"), pipeline.WithRegistry(r))
	if err != nil {
		t.Fatal(err)
	}
	before := g.Links()
	// The new branch links fine to t but its sink port is wrong.
	err = g.Attach(spec([]string{"x:pass", "y:seq-sink"}, "t -> x", "x -> y.nope"))
	if err == nil || !strings.Contains(err.Error(), `no input port "nope"`) {
		t.Fatalf("Attach error = %v", err)
	}
	if after := g.Links(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("links changed by failed attach:\n%v\n%v", before, after)
	}
	if err := g.Attach(spec([]string{"x:pass", "y:seq-sink"}, "t.out_1 -> x", "x -> y")); err != nil {
		t.Fatal(err)
	}
	if n := len(g.Links()); n != 4 {
		t.Fatalf("links after attach = %d, want 4", n)
	}
}

func TestSchedulerTicksManyGraphs(t *testing.T) {
	r := testRegistry()
	s := pipeline.NewScheduler(pipeline.WithPeriod(2*time.Millisecond), pipeline.WithWorkers(2))
	var graphs []*pipeline.Graph
	for i := 0; i < 50; i++ {
		g, err := pipeline.Build(spec([]string{"a:seq-src count=25 live=true", "b:seq-sink"}, "a -> b"), pipeline.WithRegistry(r), pipeline.WithPTime(2*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.Add(g)
		graphs = append(graphs, g)
	}
	s.Start()
	defer s.Close()
	for _, g := range graphs {
		select {
		case <-g.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("graph did not finish")
		}
		e, _ := g.Element("b")
		if got := e.(*seqSink).got.Load(); got != 25 {
			t.Fatalf("graph got %d frames, want 25", got)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.Stats().GraphsNow.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := s.Stats().GraphsNow.Load(); n != 0 {
		t.Fatalf("%d finished graphs still scheduled", n)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h pipeline.Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.9, 900 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, 1000 * time.Microsecond}}
	for _, tc := range tests {
		got := h.Quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.13 {
			t.Errorf("Quantile(%v) = %v, want within 12.5%% above %v", tc.q, got, tc.want)
		}
	}
	if h.Max() != time.Millisecond || h.Count() != 1000 {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
}

// TestHistogramMerge: merging the histograms of two halves gives the
// quantiles, count, sum and max of one histogram of the whole.
func TestHistogramMerge(t *testing.T) {
	var whole, a, b pipeline.Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i*i) * time.Nanosecond
		whole.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m pipeline.Histogram
	m.Merge(&a)
	m.Merge(&b)
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99, 0.999, 1} {
		if m.Quantile(q) != whole.Quantile(q) {
			t.Errorf("Quantile(%v) merged %v, whole %v", q, m.Quantile(q), whole.Quantile(q))
		}
	}
	if m.Count() != whole.Count() || m.Sum() != whole.Sum() || m.Max() != whole.Max() {
		t.Errorf("merged count %d sum %v max %v; whole %d %v %v", m.Count(), m.Sum(), m.Max(), whole.Count(), whole.Sum(), whole.Max())
	}
}

func TestExpandVars(t *testing.T) {
	s := spec([]string{"a:seq-src count=${n}", "b:seq-sink"}, "a -> b")
	s.Vars = map[string]string{"n": "3"}
	got, err := s.Expand(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Element("a").Prop("count"); v != "3" {
		t.Fatalf("count = %q, want default 3", v)
	}
	got, _ = s.Expand(map[string]string{"n": "4"})
	if v, _ := got.Element("a").Prop("count"); v != "4" {
		t.Fatalf("count = %q, want 4", v)
	}
	s.Vars = nil
	_, err = s.Expand(nil)
	if err == nil || !strings.Contains(err.Error(), "t.yaml:2:9: property count of \"a\": variable ${n} is not set (pass --set n=VALUE") {
		t.Fatalf("Expand error = %v", err)
	}
}
