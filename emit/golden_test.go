package emit

import (
	"bytes"
	"slices"
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

// TestLeftOut: LeftOut names what Emit leaves out, so that a caller that added those calls does
// not say it allowed them: tgkill with SIGURG only in the formats without conditions, nothing in
// the others, nothing when the runtime makes the call too (then it is allowed with any).
func TestLeftOut(t *testing.T) {
	p := golden.Profile(t, "profile.json")
	p.Version = learn.Version
	p.Arches["x86_64"].Syscalls["tgkill"] = &learn.SyscallStat{Args: &learn.Args{Index: []int{2}, Mask: []uint64{0xffffffff}, Values: [][]uint64{{23}}}}
	for _, format := range Formats() {
		for _, runtime := range []string{"", "runc"} {
			opt := Options{Name: "demo", Runtime: runtime}
			left, err := LeftOut(format, p, opt)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			_, notes, err := Emit(format, p, opt)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			var noted []string
			for _, n := range notes {
				if strings.HasPrefix(n.Text, "left out") {
					noted = append(noted, n.Syscall)
				}
			}
			if strings.Join(left, ",") != strings.Join(noted, ",") {
				t.Errorf("%s --runtime %q: LeftOut %q, Emit's notes leave out %q", format, runtime, left, noted)
			}
			want := format == "systemd" || format == "go-seccomp-bpf"
			if runtime != "" {
				want = false // runc makes tgkill: allowed with any arguments
			}
			if got := slices.Contains(left, "tgkill"); got != want {
				t.Errorf("%s --runtime %q: tgkill left out %v, want %v", format, runtime, got, want)
			}
		}
	}
	if _, err := LeftOut("yaml", p, Options{}); err == nil {
		t.Error("LeftOut of an unknown format: no error")
	}
}
