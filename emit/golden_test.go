package emit

import (
	"bytes"
	"testing"

	"github.com/sctrace/sctrace/emit/internal/golden"
)

// TestGolden: every format, with and without a runtime, byte for byte; and deterministic. The
// profile with learned arguments: the formats that carry them (oci, k8s, bpf), the others'
// notes that they cannot, clone3 answered with ENOSYS, runc's own fcntl widened.
func TestGolden(t *testing.T) {
	for _, prof := range []string{"profile.json", "profile-args.json"} {
		goldenProfile(t, prof)
	}
}

func goldenProfile(t *testing.T, prof string) {
	p := golden.Profile(t, prof)
	for _, format := range Formats {
		for _, rt := range []string{"", "runc"} {
			name := format
			if rt != "" {
				name += "-" + rt
			}
			if prof != "profile.json" {
				name = "args-" + name
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
			golden.Check(t, name+".golden", out)
			golden.Check(t, name+".notes.golden", nb.Bytes())
		}
	}
}
