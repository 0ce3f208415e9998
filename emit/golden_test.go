package emit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/emit/internal/golden"
	"github.com/sctrace/sctrace/learn"
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
	for _, format := range Formats() {
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

// TestUnlearnedConditionsLeftOut: a call allowed only with argument values sctrace did not
// learn from a recording (tgkill with SIGURG only, from run's timing completion) is left out by
// the formats that cannot carry conditions, never widened to any arguments; minijail carries it.
func TestUnlearnedConditionsLeftOut(t *testing.T) {
	p := golden.Profile(t, "profile.json")
	p.Version = learn.Version
	p.Arches["x86_64"].Syscalls["tgkill"] = &learn.SyscallStat{Args: &learn.Args{Index: []int{2}, Mask: []uint64{0xffffffff}, Values: [][]uint64{{23}}}}
	for _, format := range Formats() {
		out, _, err := Emit(format, p, Options{Name: "demo"})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		switch format {
		case "oci", "k8s":
			if !bytes.Contains(out, []byte("tgkill")) {
				t.Errorf("%s: tgkill with its condition is missing", format)
			}
		case "minijail":
			if !bytes.Contains(out, []byte("\ntgkill: arg2 == 0x17\n")) {
				t.Errorf("minijail: tgkill with its condition is missing:\n%s", out)
			}
		case "systemd", "go-seccomp-bpf":
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "tgkill") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
					t.Errorf("%s: tgkill allowed without its condition: %q", format, line)
				}
			}
		}
	}
}
