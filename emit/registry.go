package emit

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sctrace/sctrace/learn"
)

// A format writes a completed profile. in says what it is asked: the completed profile, the
// profile as given (its machine, for formats that need one), the options, and the notes on what
// completion added (for formats that carry comments). It returns the bytes and what it could not
// carry.
type format func(in formatInput) ([]byte, []Note, error)

type formatInput struct {
	q, p  *learn.Profile
	opt   Options
	added []Note
}

// registry is every format, in the order help lists them. Adding a format is a file with its
// writer and one line here.
var registry = []struct {
	name  string
	write format
	// args: the format carries learned argument conditions; for the others, the calls that
	// have them are allowed with any arguments, and a note says so.
	args bool
}{
	{"oci", func(in formatInput) ([]byte, []Note, error) { return ociJSON(in.q) }, true},
	{"k8s", func(in formatInput) ([]byte, []Note, error) { return k8sYAML(in.q, in.opt.Name, in.added) }, true},
	{"systemd", func(in formatInput) ([]byte, []Note, error) { return systemdDropIn(in.q, in.added) }, false},
	{"minijail", func(in formatInput) ([]byte, []Note, error) { return minijailPolicy(in.q, in.added) }, true},
	{"go-seccomp-bpf", func(in formatInput) ([]byte, []Note, error) { return goSeccompBPF(in.q, in.p, in.opt, in.added) }, false},
	{"bpf", func(in formatInput) ([]byte, []Note, error) {
		b, err := rawBPF(in.q, in.opt)
		return b, nil, err
	}, true},
}

// Formats lists the names Emit takes, in the order help lists them.
func Formats() []string {
	names := make([]string, len(registry))
	for i, f := range registry {
		names[i] = f.name
	}
	return names
}

// Emit writes p in a format. Notes say what was added and what the format could not carry; the
// caller shows them (the formats with comments carry them too).
func Emit(name string, p *learn.Profile, opt Options) ([]byte, []Note, error) {
	for _, f := range registry {
		if f.name != name {
			continue
		}
		q, notes, err := completeForFormats(p, opt)
		if err != nil {
			return nil, nil, err
		}
		if !f.args {
			conditional := slices.Sorted(maps.Keys(q.ArgsByName()))
			left := leaveOut(q)
			for _, name := range conditional {
				if left[name] {
					notes = append(notes, Note{Syscall: name, Text: "left out: allowed only with some argument values, which this format cannot carry (oci, k8s, minijail and bpf can)"})
					continue
				}
				notes = append(notes, Note{Syscall: name, Text: "allowed with any arguments: this format cannot carry the learned argument values (oci, k8s, minijail and bpf can)"})
			}
			q.DropArgs()
		}
		out, more, err := f.write(formatInput{q: q, p: p, opt: opt, added: notes})
		if err != nil {
			return nil, nil, err
		}
		return out, append(notes, more...), nil
	}
	return nil, nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(Formats(), ", "))
}

// leaveOut removes from q, for a format that cannot carry argument conditions, the calls allowed
// only with conditions sctrace did not learn from a recording (tgkill with SIGURG only, added by
// the timing completion; hand-written ones): widened to any arguments they would allow what the
// profile refuses. It returns their names. Calls with learned conditions stay, to be allowed
// with any arguments.
func leaveOut(q *learn.Profile) map[string]bool {
	left := map[string]bool{}
	for name := range q.ArgsByName() {
		if learn.ArgReason(name) == "" {
			for _, set := range q.Arches {
				delete(set.Syscalls, name)
			}
			left[name] = true
		}
	}
	return left
}

// LeftOut names the calls of p that the format leaves out of its output though p allows them:
// calls allowed only with argument values that sctrace did not learn and the format cannot carry
// (Emit notes each). A caller that says what it added to p before Emit (run's timing
// completion) leaves these out of what it says, so that one call is never both added and left out.
func LeftOut(name string, p *learn.Profile, opt Options) ([]string, error) {
	for _, f := range registry {
		if f.name != name {
			continue
		}
		if f.args {
			return nil, nil
		}
		q, _, err := completeForFormats(p, opt)
		if err != nil {
			return nil, err
		}
		return slices.Sorted(maps.Keys(leaveOut(q))), nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(Formats(), ", "))
}

func writeComments(b *bytes.Buffer, prefix string, notes []Note) {
	for _, n := range notes {
		b.WriteString(prefix + strings.ReplaceAll(n.String(), "\n", " ") + "\n")
	}
}
