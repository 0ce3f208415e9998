package emit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func loadProfile(t *testing.T, name string) *learn.Profile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./emit -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./emit -update rewrites it):\n%s", name, got)
	}
}

// TestGolden: every format, with and without a runtime, byte for byte; and deterministic.
func TestGolden(t *testing.T) {
	p := loadProfile(t, "profile.json")
	for _, format := range Formats {
		for _, rt := range []string{"", "runc"} {
			name := format
			if rt != "" {
				name += "-" + rt
			}
			out, notes, err := Emit(format, p, Options{Runtime: rt, Name: "demo"})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			again, _, _ := Emit(format, p, Options{Runtime: rt, Name: "demo"})
			if !bytes.Equal(out, again) {
				t.Errorf("%s: not deterministic", name)
			}
			var nb bytes.Buffer
			for _, n := range notes {
				nb.WriteString(n.String() + "\n")
			}
			golden(t, name+".golden", out)
			golden(t, name+".notes.golden", nb.Bytes())
		}
	}
}
