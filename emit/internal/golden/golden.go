// Package golden is the one golden-file helper of the emit tests: profiles and expected outputs
// in the calling package's testdata directory, rewritten with `go test -update`.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Profile reads and decodes testdata/name.
func Profile(t testing.TB, name string) *learn.Profile {
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

// Check compares got with testdata/name, or rewrites the file with -update.
func Check(t testing.TB, name string, got []byte) {
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
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}
