package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLabelsRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l.txt")
	in := []byte{0, 1, 1, 0, 1}
	if err := WriteLabels(p, in); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(p)
	if err != nil || string(got) != string(in) {
		t.Fatalf("got %v, %v; want %v", got, err, in)
	}
	os.WriteFile(p, []byte("0\n2\n"), 0o644)
	if _, err := ReadLabels(p); err == nil {
		t.Error("label 2: want error")
	}
}

func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{Short: true, Items: []Item{{ID: "a", Family: AECFarEnd, Rate: 8000, RT60: 0.3}}}
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil || !got.Short || len(got.Items) != 1 || got.Items[0].ID != "a" || got.Items[0].RT60 != 0.3 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Error("missing manifest: want error")
	}
}
